/**
 * Redis going away and coming back. Never done to the machine's shared Redis: these tests start a
 * private `redis-server` (no persistence) on a free port, and kill and restart it themselves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Publication } from '../../src/core/types.js';
import type { Engine, EngineHandlers } from '../../src/engines/engine.js';
import { RedisEngine } from '../../src/engines/redis/redis-engine.js';
import { RawClient } from '../helpers/ws-client.js';
import { Backend } from '../protocol/mesh-fixtures.js';
import {
  contiguous,
  type NodeProcess,
  redisServerAvailable,
  removeDir,
  SITE,
  SiteSubscriber,
  sitePoster,
  startNode,
  ThrowawayRedis,
  tempDir,
  until,
} from './helpers.js';

const skip = !redisServerAvailable() && 'redis-server is not on PATH (needed for a private, killable Redis)';
const prefix = 'sbtest:recovery:';

function recorder(): EngineHandlers & { got: Publication[] } {
  const got: Publication[] = [];
  return {
    got,
    onPublication: (_ns, p) => {
      got.push(p);
      return { delivered: 1, failed: 0 };
    },
    onControl: async () => ({ ok: true }),
  };
}

describe('redis engine: losing the pub/sub connection', { skip }, () => {
  let redis: ThrowawayRedis;
  const engines: Engine[] = [];
  before(async () => {
    redis = await ThrowawayRedis.create();
  });
  after(async () => {
    await Promise.all(engines.map((e) => e.close()));
    await redis.kill();
  });

  it('repairs what was published while it reconnected, from history, in order, once', async () => {
    const rec = recorder();
    const watcher = new RedisEngine({ url: redis.url, prefix, nodeId: 1 });
    const publisher = new RedisEngine({ url: redis.url, prefix, nodeId: 2 });
    engines.push(watcher, publisher);
    await watcher.start(rec);
    await publisher.start(recorder());
    await watcher.log.watch('ns', 'ch');
    const opts = { historySize: 100 };
    for (let i = 0; i < 20; i++) await publisher.log.publish('ns', 'ch', { data: i }, opts);
    await until(() => rec.got.length === 20, 'the first 20');
    // Cut every pub/sub connection; publish while the watcher reconnects (those messages are
    // never delivered live to it).
    const admin = new Redis(redis.url);
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    admin.disconnect();
    for (let i = 20; i < 40; i++) await publisher.log.publish('ns', 'ch', { data: i }, opts);
    await until(() => rec.got.length >= 40, 'all 40 after the reconnect');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      rec.got.map((p) => p.data),
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.ok(contiguous(rec.got.map((p) => p.ord)));
    await until(() => watcher.ready(), 'ready again');
  });
});

describe('cluster: Redis restarted (data lost) under two nodes', { skip }, () => {
  let redis: ThrowawayRedis;
  let dir: string;
  let d: NodeProcess;
  let e: NodeProcess;
  before(async () => {
    redis = await ThrowawayRedis.create();
    dir = tempDir();
    const nodes = await Promise.all(
      [121, 122].map((nodeId) => startNode({ nodeId, prefix, dir, redisUrl: redis.url })),
    );
    [d, e] = nodes as [NodeProcess, NodeProcess];
  });
  after(async () => {
    await Promise.all([d, e].map((n) => n?.stop()));
    await redis.kill();
    removeDir(dir);
  });

  const readyz = async (n: NodeProcess) => (await fetch(`${n.url}/readyz`)).status;

  it('reports not ready, keeps local traffic, refuses cluster work clearly, and recovers by itself', async () => {
    const channel = 'survivor';
    const sub = await SiteSubscriber.open(e, channel);
    const post = await sitePoster(d);
    for (let i = 0; i < 10; i++) assert.equal(await post(channel, { i }), 200);
    await until(() => sub.messages.length === 10, 'the first 10');
    // A backend and a gateway client on the same node: their traffic needs no Redis.
    const backend = await Backend.connect(d.wsUrl(`/ws/v1?site=${SITE.name}&key=${SITE.apiKey}`));
    assert.equal((await backend.request('queue.pop', { t: ['clients'] })).E, null);
    const client = await RawClient.connect(d.wsUrl(`/client?site=${SITE.name}`));
    await backend.until(() => backend.events.some((x) => x.p.d?.event === 'handshake'), 'the handshake item');
    const id: string = backend.events.find((x) => x.p.d?.event === 'handshake').p.c;

    await redis.kill();
    await waitStatus(() => readyz(d), 503);
    await waitStatus(() => readyz(e), 503);
    const refused = await post(channel, { i: 'during the outage' });
    assert.notEqual(refused, 200, 'a publish without Redis is refused, not lost silently');
    assert.equal((await backend.request('mesh.send', { c: id, d: 'local only' })).E, null);
    assert.equal((await client.nextFrame()).data, 'local only');

    await redis.start(); // empty: no persistence
    await waitStatus(() => readyz(d), 200);
    await waitStatus(() => readyz(e), 200);
    // The subscription made before the outage still receives, with ords that never went back.
    for (let i = 10; i < 20; i++) assert.equal(await post(channel, { i }), 200);
    await until(() => sub.messages.length === 20, 'the 10 published after the restart');
    const ords = sub.ords;
    assert.ok(ords[10]! > ords[9]!, `ords keep increasing after a data loss (${ords[9]} → ${ords[10]})`);
    assert.ok(contiguous(ords.slice(10)));
    assert.deepEqual(
      sub.messages.map((m) => (m.body as { i: number }).i),
      Array.from({ length: 20 }, (_, i) => i),
    );
    await client.close();
    await backend.close();
    await sub.close();
  });
});

async function waitStatus(probe: () => Promise<number>, want: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = 0;
  while (Date.now() < deadline) {
    last = await probe();
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`status stayed ${last}, wanted ${want}`);
}
