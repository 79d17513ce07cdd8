/**
 * Private Redis topologies for the tests that need more than the machine's shared Redis: a Redis
 * Cluster (3 masters, 3 replicas) and a master + replica watched by one Sentinel. Every process
 * runs on a free loopback port with its working directory under one temp dir, without
 * persistence; `stop()` kills them all and removes the dir.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { track } from './children.js';

export const HOST = '127.0.0.1';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Can `port` be bound right now? */
async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

/**
 * A free port for a Redis Cluster node: the node also listens on port + 10000 (its cluster bus),
 * so that one must be free too. Both are taken below Linux's ephemeral range (32768 up), where
 * every other free-port user (port 0) takes its ports, so a port found free stays free.
 */
export async function freeClusterPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 10_000 + Math.floor(Math.random() * 12_700);
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
  throw new Error('no free port pair (port, port + 10000) for a Redis Cluster node');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns true (errors count as "not yet"). */
export async function waitFor(what: string, probe: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await sleep(50);
  }
}

/** `p`, or a failure after `ms`: a socket nobody closes must fail the test, not hang it. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Run one command on a short-lived connection (probes, admin commands). */
export async function redisCall(port: number, ...args: (string | number)[]): Promise<unknown> {
  const r = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  r.on('error', () => undefined); // refused while starting or after a kill: the caller retries
  try {
    await r.connect();
    return await r.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    r.disconnect();
  }
}

/** One redis-server (or Sentinel) process; kill it with SIGKILL and start it again at will. */
export class RedisProc {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
  ) {
    mkdirSync(dir, { recursive: true });
  }

  get address(): string {
    return `${HOST}:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    this.child = track(spawn('redis-server', this.args, { cwd: this.dir, stdio: 'ignore' }));
    await waitFor(
      `redis-server on ${this.port}`,
      async () => (await redisCall(this.port, 'PING')) === 'PONG',
    );
  }

  /** SIGKILL, as a crash would. */
  async kill9(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

export function serverArgs(port: number, extra: string[] = []): string[] {
  return ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', ...extra];
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

// ---- Redis Cluster -------------------------------------------------------------------------

export interface RedisClusterProcs {
  nodes: RedisProc[];
  /** `host:port` of every node (what `engine.cluster` takes). */
  seeds: string[];
  /** Ports of the nodes that are masters now (changes after a failover). */
  masterPorts(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of `masters` masters with one replica each, created with
 * `redis-cli --cluster create` (by hand for fewer than 3 masters, which it refuses); resolves once every node reports `cluster_state:ok` and agrees on
 * the topology (all 16384 slots covered, every replica attached).
 */
export async function startRedisCluster(masters = 3, nodeTimeoutMs = 1000): Promise<RedisClusterProcs> {
  const root = mkdtempSync(join(tmpdir(), 'sb-rcluster-'));
  const nodes: RedisProc[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.kill9()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * 2; i++) {
      const port = await freeClusterPort();
      nodes.push(
        new RedisProc(
          port,
          join(root, String(port)),
          serverArgs(port, [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            String(nodeTimeoutMs),
            // Replicas take over as fast as the node timeout allows, whatever their lag.
            '--cluster-replica-validity-factor',
            '0',
          ]),
        ),
      );
    }
    await Promise.all(nodes.map((n) => n.start()));
    const seeds = nodes.map((n) => n.address);
    if (masters >= 3) {
      const created = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...seeds, '--cluster-replicas', '1', '--cluster-yes'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (created.status !== 0)
        throw new Error(`redis-cli --cluster create failed:\n${created.stdout}${created.stderr}`);
    } else {
      await assembleByHand(nodes, masters); // redis-cli refuses fewer than 3 masters
    }
    await waitFor(
      'the cluster to converge',
      async () => {
        for (const n of nodes) {
          const info = String(await redisCall(n.port, 'CLUSTER', 'INFO'));
          if (!info.includes('cluster_state:ok') || !info.includes(`cluster_known_nodes:${nodes.length}`))
            return false;
        }
        const shards = (await redisCall(nodes[0]!.port, 'CLUSTER', 'SHARDS')) as unknown[];
        return (
          shards.length === masters && shards.every((s) => JSON.stringify(s).split('"replica"').length === 2)
        );
        // Gossip on a machine busy with other test runs can take a while to settle.
      },
      60_000,
    );
    return {
      nodes,
      seeds,
      masterPorts: async () => {
        const out: number[] = [];
        for (const n of nodes.filter((p) => p.running)) {
          const role = (await redisCall(n.port, 'ROLE')) as unknown[];
          if (role[0] === 'master') out.push(n.port);
        }
        return out;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What `redis-cli --cluster create` does, for 1 or 2 masters: slots, MEET, REPLICATE. */
async function assembleByHand(nodes: RedisProc[], masters: number): Promise<void> {
  for (let i = 0; i < masters; i++) {
    const from = Math.floor((16384 * i) / masters);
    const to = Math.floor((16384 * (i + 1)) / masters) - 1;
    await redisCall(nodes[i]!.port, 'CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
    await redisCall(nodes[i]!.port, 'CLUSTER', 'ADDSLOTSRANGE', from, to);
  }
  for (const n of nodes.slice(1)) await redisCall(n.port, 'CLUSTER', 'MEET', HOST, nodes[0]!.port);
  await waitFor('every node to meet', async () => {
    for (const n of nodes) {
      const info = String(await redisCall(n.port, 'CLUSTER', 'INFO'));
      if (!info.includes(`cluster_known_nodes:${nodes.length}`)) return false;
    }
    return true;
  });
  for (let i = 0; i < masters; i++) {
    const id = String(await redisCall(nodes[i]!.port, 'CLUSTER', 'MYID'));
    await redisCall(nodes[masters + i]!.port, 'CLUSTER', 'REPLICATE', id);
  }
}

// ---- master + replica + Sentinel -------------------------------------------------------------

export interface SentinelProcs {
  /** The master name Sentinel monitors. */
  name: string;
  sentinel: RedisProc;
  /** [initial master, initial replica]. */
  servers: [RedisProc, RedisProc];
  /** Port of the master as Sentinel currently reports it. */
  masterPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A master, its replica and one Sentinel (quorum 1) that declares the master down after
 * `downAfterMs` without an answer and then promotes the replica.
 */
export async function startSentinelTrio(downAfterMs = 1000): Promise<SentinelProcs> {
  const root = mkdtempSync(join(tmpdir(), 'sb-sentinel-'));
  const name = 'sbmaster';
  const procs: RedisProc[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.kill9()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const [mPort, rPort, sPort] = [await freePort(), await freePort(), await freePort()];
    const master = new RedisProc(mPort, join(root, 'master'), serverArgs(mPort));
    const replica = new RedisProc(
      rPort,
      join(root, 'replica'),
      serverArgs(rPort, ['--replicaof', HOST, String(mPort)]),
    );
    procs.push(master, replica);
    await master.start();
    await replica.start();
    await waitFor('the replica to sync', async () =>
      String(await redisCall(rPort, 'INFO', 'replication')).includes('master_link_status:up'),
    );
    const sentinelDir = join(root, 'sentinel');
    mkdirSync(sentinelDir);
    // Sentinel rewrites its config file, so it gets its own writable copy.
    const conf = join(sentinelDir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${sPort}`,
        `bind ${HOST}`,
        `sentinel monitor ${name} ${HOST} ${mPort} 1`,
        `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
        `sentinel failover-timeout ${name} 10000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    const sentinel = new RedisProc(sPort, sentinelDir, [conf, '--sentinel']);
    procs.push(sentinel);
    await sentinel.start();
    const masterPort = async () => {
      const addr = (await redisCall(sPort, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[];
      return Number(addr[1]);
    };
    await waitFor('Sentinel to know the replica', async () => {
      const replicas = (await redisCall(sPort, 'SENTINEL', 'REPLICAS', name)) as string[][];
      return replicas.length === 1 && (await masterPort()) === mPort;
    });
    return { name, sentinel, servers: [master, replica], masterPort, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
