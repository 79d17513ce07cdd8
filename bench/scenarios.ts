// The servers compared side by side, each with its clients' handshake and its way to publish.
// A scenario that cannot run here (no nats-server, a dialect not registered yet) says why instead.
import { BENCH_CHANNEL, BENCH_PUSHER, BENCH_ROCKET, BENCH_SITE } from './child-protocol.js';
import type { ClientSpec } from './load-clients.js';
import { nats, socketIo } from './peer-scenarios.js';
import { childRunning, firstFrame, type Scenario, siteClients, siteTarget, wsBase } from './scenario-kit.js';
import { ClusterServer, findRedisServer, NodeServer, RedisServer } from './server-proc.js';

export type { Running, Scenario, StartOptions } from './scenario-kit.js';

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

const site: Scenario = {
  key: 'site',
  label: 'Switchboard site (src fast path)',
  unavailable: () => undefined,
  start: async (options) => {
    const server = await NodeServer.start('switchboard', options.switchboardExecArgv);
    return childRunning(server, await siteClients([server.port]), siteTarget);
  },
};

/** Switchboard site with the next lever patched in (bench only: switchboard-fast-path.ts). */
const siteFast = (fastPath: 'batched', label: string): Scenario => ({
  key: `site-${fastPath}`,
  label,
  unavailable: () => undefined,
  start: async (options) => {
    const args = [JSON.stringify({ fastPath })];
    const server = await NodeServer.start('switchboard', options.switchboardExecArgv, args);
    return childRunning(server, await siteClients([server.port]), siteTarget);
  },
});

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
          // The Redis engine fans out when pub/sub delivers, not in the publishing turn: the
          // publisher's timing would be a Redis round trip, not a fan-out.
          return undefined;
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

const rocket: Scenario = {
  key: 'rocket',
  label: 'Switchboard rocket',
  unavailable: () => undefined,
  start: async (options) => {
    const server = await NodeServer.start('switchboard', options.switchboardExecArgv);
    const authenticate = JSON.stringify({ authenticate: { user: BENCH_ROCKET.user } });
    const subscribe = JSON.stringify({ subscribe: { channel: BENCH_CHANNEL } });
    const clients: ClientSpec = {
      url: () => `${wsBase(server.port)}${BENCH_ROCKET.path}`,
      handshake: async (ws) => {
        await firstFrame(ws, authenticate, (t) => t.includes('"authenticated"'), 'rocket authenticate');
        await firstFrame(ws, subscribe, (t) => t.includes('"subscribed"'), 'rocket subscribe');
      },
    };
    return childRunning(server, clients, siteTarget);
  },
};

/**
 * Pusher clients (protocol 7, as pusher-js connects) on the public channel `bench` of the bench
 * namespace's app: the same publications as the site scenario, rendered as Pusher events.
 */
const pusher: Scenario = {
  key: 'pusher',
  label: 'Switchboard pusher',
  unavailable: () => undefined,
  start: async (options) => {
    const server = await NodeServer.start('switchboard', options.switchboardExecArgv);
    const subscribe = JSON.stringify({ event: 'pusher:subscribe', data: { channel: BENCH_CHANNEL } });
    const clients: ClientSpec = {
      url: () => `${wsBase(server.port)}/app/${BENCH_PUSHER.key}?protocol=7&client=js&version=8.4.0`,
      handshake: async (ws) => {
        // The server speaks first: connection_established, then the subscription's answer.
        await new Promise<void>((resolve, reject) =>
          ws.once('message', (data: Buffer) =>
            data.toString('utf8').includes('pusher:connection_established')
              ? resolve()
              : reject(new Error(`pusher handshake failed: ${data.toString('utf8').slice(0, 200)}`)),
          ),
        );
        await firstFrame(ws, subscribe, (t) => t.includes('subscription_succeeded'), 'pusher subscribe');
      },
    };
    return childRunning(server, clients, siteTarget);
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

export const SCENARIOS: Scenario[] = [
  wsBaseline,
  wsCork,
  wsPreframed,
  site,
  siteFast('batched', 'site + 1 write/turn (bench patch)'),
  siteRedis,
  chat,
  rocket,
  pusher,
  gateway,
  nats,
  socketIo,
];

/** Every `--only` name, in run order. */
export const SCENARIO_KEYS: readonly string[] = SCENARIOS.map((s) => s.key);
