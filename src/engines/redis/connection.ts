import { Redis, type RedisOptions } from 'ioredis';
import type { LedgerScripts } from './client-ledger.js';
import * as lua from './lua.js';
import type { LeaseScripts } from './node-lease.js';
import type { QueueScripts } from './queues.js';

/** The engine's Lua scripts as ioredis commands (EVALSHA, EVAL after a Redis restart). */
type Scripts = QueueScripts &
  LeaseScripts &
  LedgerScripts & {
    sbPublish(
      ord: string,
      hist: string,
      chans: string,
      epoch: string,
      ordBase: string,
      cut: string,
      ...args: (string | number)[]
    ): Promise<[number, number, number, string]>;
    sbPublishBatch(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<(string | number)[]>;
    sbHistory(
      ord: string,
      hist: string,
      cut: string,
      mode: string,
      n: number,
      limit: number,
    ): Promise<(string | number)[]>;
    sbMasterCheck(replid: string, ordBase: string, id: string): Promise<number>;
    sbChannels(chans: string, ordPrefix: string, histPrefix: string, ordTtlMs: number): Promise<unknown[]>;
  };
export type Client = Redis & Scripts;

const SCRIPTS: Record<keyof Scripts, { lua: string; numberOfKeys?: number }> = {
  sbPublish: { lua: lua.PUBLISH, numberOfKeys: 6 },
  sbPublishBatch: { lua: lua.PUBLISH_BATCH }, // numKeys passed per call
  sbHistory: { lua: lua.HISTORY, numberOfKeys: 3 },
  sbMasterCheck: { lua: lua.MASTER_CHECK, numberOfKeys: 2 },
  sbChannels: { lua: lua.CHANNELS, numberOfKeys: 1 },
  queuePush: { lua: lua.QUEUE_PUSH, numberOfKeys: 4 },
  queuePop: { lua: lua.QUEUE_POP, numberOfKeys: 2 },
  queueUnpop: { lua: lua.QUEUE_UNPOP, numberOfKeys: 2 },
  queueStats: { lua: lua.QUEUE_STATS, numberOfKeys: 3 },
  consumersRegister: { lua: lua.CONSUMERS_REGISTER }, // numKeys passed per call
  consumersLive: { lua: lua.CONSUMERS_LIVE, numberOfKeys: 1 },
  clientsClaim: { lua: lua.CLIENTS_CLAIM, numberOfKeys: 1 },
  leaseRenew: { lua: lua.LEASE_RENEW, numberOfKeys: 1 },
  leaseRelease: { lua: lua.LEASE_RELEASE, numberOfKeys: 1 },
  leaseAcquire: { lua: lua.LEASE_ACQUIRE },
};

/**
 * Where the engine's Redis is: one server at `url`, or the master that Sentinel names `name`
 * (`sentinels` as `host:port`; `url` then only carries credentials, database and TLS).
 */
export interface RedisTarget {
  url: string;
  sentinels?: string[];
  sentinelName?: string;
  /** Every command fails after this long without an answer (engine.command_timeout_ms). */
  commandTimeoutMs?: number;
}

/** For log lines and errors: which Redis the engine talks to. */
export function describeTarget(t: RedisTarget): string {
  return t.sentinels ? `master "${t.sentinelName}" of Sentinel ${t.sentinels.join(',')}` : t.url;
}

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1500;

/** Every engine connection is made here, so each one follows a Sentinel failover the same way. */
export function client(target: RedisTarget, name: string): Client {
  const options: RedisOptions = {
    lazyConnect: true,
    // Fail fast while disconnected instead of queueing: callers get a clear error now, and a
    // publish is never replayed after a reconnect (it may already have run).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false, // Subscriber does it, then repairs what was missed
    retryStrategy: (times) => Math.min(100 * times, 2000),
    connectionName: name,
    // A hung Redis (paused VM, SIGSTOP, a long DEBUG SLEEP) keeps the TCP connection open, so
    // nothing above fires: without a deadline every caller would wait as long as Redis does.
    commandTimeout: target.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    // A master demoted under us answers writes with READONLY: reconnect (to whatever Sentinel
    // names now) instead of failing every write until the server drops us.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 1 : false),
  };
  if (target.sentinels) {
    Object.assign(options, {
      sentinels: target.sentinels.map(hostPort),
      name: target.sentinelName,
      // No failoverDetector: Sentinel disconnects every client of a master it demotes, which is
      // enough; the detector's +switch-master handler, arriving while a reconnect is under way,
      // ends the client for good (seen in the failover test).
      sentinelRetryStrategy: (times: number) => Math.min(100 * times, 1000),
    } satisfies RedisOptions);
  }
  const redis = new Redis(target.url, options);
  for (const [name, def] of Object.entries(SCRIPTS)) redis.defineCommand(name, def);
  return redis as Client;
}

/** Reject if `p` has not settled within `ms` (connecting to an unreachable Redis). */
export async function withTimeout<T>(p: Promise<T>, ms: number, where: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis at ${where} not reachable within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}
