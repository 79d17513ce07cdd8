// The servers compared side by side, each with its clients' handshake and its way to publish.
// A scenario that cannot run here (no nats-server, a dialect not registered yet) says why instead.
import { createHmac } from 'node:crypto';
import WebSocket from 'ws';
import { BENCH_CHANNEL, BENCH_SITE, type PublishTarget } from './child-protocol.js';
import type { ClientSpec } from './load-clients.js';
import { makePayload, nowMicros } from './payload.js';
import {
  ClusterServer,
  findNatsServer,
  findRedisServer,
  NatsServer,
  NodeServer,
  RedisServer,
  type ServerProcess,
} from './server-proc.js';

export const SCENARIO_KEYS = [
  'ws',
  'ws-cork',
  'ws-preframed',
  'site',
  'site-redis',
  'chat',
  'gateway',
  'nats',
  'socketio',
] as const;
export type ScenarioKey = (typeof SCENARIO_KEYS)[number];

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
  /** Publish `count` messages at `ratePerSec`, each stamped with its send time. */
  paced(count: number, ratePerSec: number, bytes: number): Promise<void>;
  close(): Promise<void>;
}

export interface Scenario {
  key: ScenarioKey;
  label: string;
  /** A reason this scenario cannot run on this machine, checked before anything starts. */
  unavailable(): string | undefined;
  start(options: StartOptions): Promise<Running>;
}

const wsBase = (port: number) => `ws://127.0.0.1:${port}`;

/** Resolves with the first frame a client receives (handshake answers, not the hot path). */
function firstFrame(
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
function childRunning(
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
      await server.request({ op: 'paced', count, ratePerSec, bytes, target });
    },
    close: () => server.close(),
  };
}

const siteTarget: PublishTarget = { namespace: BENCH_SITE.name, channel: BENCH_CHANNEL };

const wsBaseline: Scenario = {
  key: 'ws',
  label: 'ws broadcast (baseline)',
  unavailable: () => undefined,
  start: async () => {
    const server = await NodeServer.start('ws');
    return childRunning(server, { url: () => `${wsBase(server.port)}/` }, siteTarget);
  },
};

/** The two fast-path levers, measured on the baseline (see ws-fast-path.ts). */
const wsCork: Scenario = {
  key: 'ws-cork',
  label: 'ws + cork per turn',
  unavailable: () => undefined,
  start: async () => {
    const server = await NodeServer.start('ws', [], ['cork']);
    return childRunning(server, { url: () => `${wsBase(server.port)}/` }, siteTarget);
  },
};

const wsPreframed: Scenario = {
  key: 'ws-preframed',
  label: 'ws + cork + pre-framed',
  unavailable: () => undefined,
  start: async () => {
    const server = await NodeServer.start('ws', [], ['preframed']);
    return childRunning(server, { url: () => `${wsBase(server.port)}/` }, siteTarget);
  },
};

/**
 * Site clients spread round-robin over `ports` (one per node), subscribed with a token from the
 * first node (any node accepts any node's token) and the seed's HMAC.
 */
async function siteClients(ports: number[]): Promise<ClientSpec> {
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

const site: Scenario = {
  key: 'site',
  label: 'Switchboard site',
  unavailable: () => undefined,
  start: async (options) => {
    const server = await NodeServer.start('switchboard', options.switchboardExecArgv);
    return childRunning(server, await siteClients([server.port]), siteTarget);
  },
};

const REDIS_NODES = 2;

/**
 * The site fan-out on the Redis engine: two Switchboard nodes on one private redis-server,
 * subscribers split between them, every message published on node 1. CPU and RSS are the two
 * nodes' sums; redis-server's own CPU is reported beside them.
 */
const siteRedis: Scenario = {
  key: 'site-redis',
  label: 'Switchboard site, Redis, 2 nodes',
  unavailable: () => {
    const found = findRedisServer();
    return found.ok ? undefined : found.reason;
  },
  start: async (options) => {
    const found = findRedisServer();
    if (!found.ok) throw new Error(found.reason);
    const redis = await RedisServer.start(found.path);
    const nodes: NodeServer[] = [];
    try {
      for (let n = 1; n <= REDIS_NODES; n++) {
        const childOptions = JSON.stringify({ nodeId: n, redisUrl: redis.url });
        nodes.push(await NodeServer.start('switchboard', options.switchboardExecArgv, [childOptions]));
      }
      const cluster = new ClusterServer(nodes);
      const clients = await siteClients(nodes.map((n) => n.port));
      const publisher = nodes[0]!;
      return {
        server: cluster,
        side: redis,
        clients,
        ready: async (count) => {
          // Client i went to node i % REDIS_NODES.
          await Promise.all(
            nodes.map((node, k) =>
              node.request({
                op: 'ready',
                count: Math.floor(count / REDIS_NODES) + (k < count % REDIS_NODES ? 1 : 0),
                target: siteTarget,
                timeoutMs: 30_000,
              }),
            ),
          );
        },
        burst: async (count, bytes) => {
          await publisher.request({ op: 'burst', count, bytes, target: siteTarget });
        },
        paced: async (count, ratePerSec, bytes) => {
          await publisher.request({ op: 'paced', count, ratePerSec, bytes, target: siteTarget });
        },
        close: async () => {
          await cluster.close();
          await redis.close();
        },
      };
    } catch (err) {
      await Promise.all(nodes.map((n) => n.close()));
      await redis.close();
      throw err;
    }
  },
};

const chat: Scenario = {
  key: 'chat',
  label: 'Switchboard chat',
  unavailable: () => undefined,
  start: async (options) => {
    const server = await NodeServer.start('switchboard', options.switchboardExecArgv);
    // Chat clients watch the whole chat namespace: publishing to one room reaches every one.
    const clients: ClientSpec = { url: (i) => `${wsBase(server.port)}/ws?username=bench${i}` };
    return childRunning(server, clients, {
      namespace: 'chat',
      channel: BENCH_CHANNEL,
      sender: 'bench',
    });
  },
};

const gateway: Scenario = {
  key: 'gateway',
  label: 'Switchboard mesh gateway',
  unavailable: () => undefined,
  start: async (options) => {
    const server = await NodeServer.start('switchboard', options.switchboardExecArgv);
    const clients: ClientSpec = { url: () => `${wsBase(server.port)}/client?site=${BENCH_SITE.name}` };
    // Gateway clients subscribe only when a backend says so: `conn.call subscribe` for each.
    return childRunning(server, clients, siteTarget, () =>
      server.request({ op: 'subscribeGateways', target: siteTarget }),
    );
  },
};

const NATS_CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\n';
const NATS_SUBJECT = BENCH_CHANNEL;
/** PUBs per WebSocket frame in a burst: NATS clients batch writes the same way. */
const NATS_BATCH = 64;

const natsPub = (payload: string) => `PUB ${NATS_SUBJECT} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`;

const nats: Scenario = {
  key: 'nats',
  label: 'NATS server websocket',
  unavailable: () => {
    const found = findNatsServer();
    return found.ok ? undefined : found.reason;
  },
  start: async () => {
    const found = findNatsServer();
    if (!found.ok) throw new Error(found.reason);
    const server = await NatsServer.start(found.path);
    const url = wsBase(server.port);
    // SUB then PING: the PONG proves the subscription is registered before anything is published.
    const pingPong = (ws: WebSocket, what: string) =>
      new Promise<void>((resolve, reject) => {
        const onFrame = (data: Buffer) => {
          if (data.includes('PONG')) {
            ws.off('message', onFrame);
            resolve();
          } else if (data.includes('-ERR')) reject(new Error(`${what}: ${data.toString('utf8')}`));
        };
        ws.on('message', onFrame);
      });
    const clients: ClientSpec = {
      url: () => url,
      handshake: (ws) => {
        const done = pingPong(ws, 'nats subscribe');
        ws.send(`${NATS_CONNECT}SUB ${NATS_SUBJECT} 1\r\nPING\r\n`);
        return done;
      },
      onOtherFrame: (ws, frame) => {
        if (frame.includes('PING\r\n')) ws.send('PONG\r\n');
      },
    };
    const publisher = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      publisher.once('open', () => resolve());
      publisher.once('error', reject);
    });
    const publisherReady = pingPong(publisher, 'nats publisher');
    publisher.send(`${NATS_CONNECT}PING\r\n`);
    await publisherReady;
    publisher.on('message', (data: Buffer) => {
      if (data.includes('PING\r\n')) publisher.send('PONG\r\n');
    });
    return {
      server,
      clients,
      ready: async () => undefined,
      burst: async (count, bytes) => {
        const line = natsPub(makePayload(bytes, 0));
        for (let sent = 0; sent < count; sent += NATS_BATCH) {
          publisher.send(line.repeat(Math.min(NATS_BATCH, count - sent)));
        }
      },
      paced: async (count, ratePerSec, bytes) => {
        const period = 1000 / ratePerSec;
        const start = performance.now();
        for (let i = 0; i < count; i++) {
          const wait = start + i * period - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          publisher.send(natsPub(makePayload(bytes, nowMicros())));
        }
      },
      close: async () => {
        publisher.terminate();
        await server.close();
      },
    };
  },
};

/**
 * Socket.IO 4 with its own `io.emit` broadcast. The clients speak Engine.IO v4 over raw `ws`
 * (open packet `0{…}`, namespace connect `40`, events `42[…]`, ping `2` → pong `3`) so the
 * load generator stays as lean as for every other server.
 */
const socketIo: Scenario = {
  key: 'socketio',
  label: 'Socket.IO (io.emit)',
  unavailable: () => undefined,
  start: async () => {
    const server = await NodeServer.start('socketio');
    const clients: ClientSpec = {
      url: () => `${wsBase(server.port)}/socket.io/?EIO=4&transport=websocket`,
      handshake: (ws) =>
        new Promise<void>((resolve, reject) => {
          const onFrame = (data: Buffer) => {
            const text = data.toString('utf8');
            if (text.startsWith('0{')) ws.send('40');
            else if (text.startsWith('40')) {
              ws.off('message', onFrame);
              resolve();
            } else if (text.startsWith('44')) reject(new Error(`socket.io connect refused: ${text}`));
          };
          ws.on('message', onFrame);
        }),
      onOtherFrame: (ws, frame) => {
        if (frame.length === 1 && frame[0] === 0x32) ws.send('3');
      },
    };
    return childRunning(server, clients, siteTarget);
  },
};

export const SCENARIOS: Scenario[] = [
  wsBaseline,
  wsCork,
  wsPreframed,
  site,
  siteRedis,
  chat,
  gateway,
  nats,
  socketIo,
];
