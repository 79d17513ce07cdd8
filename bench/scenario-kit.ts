// What every scenario is made of, and the helpers the scenario files share: how the measuring
// code drives a started server (Running), and the clients of the Node server children.
import { createHmac } from 'node:crypto';
import type WebSocket from 'ws';
import { BENCH_CHANNEL, BENCH_SITE, type PublishTarget } from './child-protocol.js';
import type { ClientSpec } from './load-clients.js';
import type { NodeServer, ServerProcess } from './server-proc.js';

export interface StartOptions {
  /** Extra Node flags for Switchboard server children (`--cpu-prof …`). */
  switchboardExecArgv: string[];
}

/** A started server with everything the measuring code needs to drive it. */
export interface Running {
  server: ServerProcess;
  clients: ClientSpec;
  /** A process the server depends on, measured beside it (redis-server). */
  side?: ServerProcess;
  /** Resolves once `count` clients are subscribed as the server sees it. */
  ready(count: number): Promise<void>;
  /** Publish `count` messages as fast as the publisher can. */
  burst(count: number, bytes: number): Promise<void>;
  /**
   * Publish `count` messages at `ratePerSec`, each stamped with its send time. Resolves with the
   * server's fan-out time per message (ms) where the server measures it in the publishing turn.
   */
  paced(count: number, ratePerSec: number, bytes: number): Promise<number[] | undefined>;
  close(): Promise<void>;
}

export interface Scenario {
  /** The name `--only` takes. */
  key: string;
  label: string;
  /** A reason this scenario cannot run on this machine, checked before anything starts. */
  unavailable(): string | undefined;
  start(options: StartOptions): Promise<Running>;
}

export const wsBase = (port: number) => `ws://127.0.0.1:${port}`;

/** Resolves with the first frame a client receives (handshake answers, not the hot path). */
export function firstFrame(
  ws: WebSocket,
  send: string,
  check: (text: string) => boolean,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (check(text)) resolve();
      else reject(new Error(`${what} failed: ${text.slice(0, 200)}`));
    });
    ws.send(send);
  });
}

/** A server child publishing to `target` in-process; `prepare` runs once clients are in. */
export function childRunning(
  server: NodeServer,
  clients: ClientSpec,
  target: PublishTarget,
  prepare?: () => Promise<unknown>,
): Running {
  return {
    server,
    clients,
    ready: async (count) => {
      await prepare?.();
      await server.request({ op: 'ready', count, target, timeoutMs: 30_000 });
    },
    burst: async (count, bytes) => {
      await server.request({ op: 'burst', count, bytes, target });
    },
    paced: async (count, ratePerSec, bytes) => {
      const reply = (await server.request({ op: 'paced', count, ratePerSec, bytes, target })) as {
        fanOutMs?: number[];
      } | null;
      return reply?.fanOutMs;
    },
    close: () => server.close(),
  };
}

export const siteTarget: PublishTarget = { namespace: BENCH_SITE.name, channel: BENCH_CHANNEL };

/**
 * Site clients spread round-robin over `ports` (one per node), subscribed with a token from the
 * first node (any node accepts any node's token) and the site protocol's HMAC.
 */
export async function siteClients(ports: number[]): Promise<ClientSpec> {
  const res = await fetch(`http://127.0.0.1:${ports[0]}/token?site=${BENCH_SITE.name}`);
  const { token } = (await res.json()) as { token: string };
  const auth = createHmac('sha256', BENCH_SITE.secret)
    .update(BENCH_CHANNEL + token)
    .digest('base64');
  const subscribe = JSON.stringify({
    request: 'subscribe',
    req_id: '1',
    body: { channel: BENCH_CHANNEL, after: 0, token, auth },
  });
  return {
    url: (i) => `${wsBase(ports[i % ports.length]!)}/ws?site=${BENCH_SITE.name}`,
    handshake: (ws) => firstFrame(ws, subscribe, (t) => t.includes('"response":"ok"'), 'site subscribe'),
  };
}
