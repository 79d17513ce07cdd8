/**
 * Publish batching on the Redis engine (publish-batcher.ts, lua/publish-batch.lua): publications
 * made while another is in flight go to Redis in one script call, with the guarantees of one call
 * each — one order per channel in call order, no hole, bounded history, the hand-off to watching
 * nodes — and an error of one publication's channel fails only the publications of that channel.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { HubError } from '../../src/core/errors.js';
import type { Publication } from '../../src/core/types.js';
import type { EngineHandlers } from '../../src/engines/engine.js';
import { Keys } from '../../src/engines/redis/keys.js';
import { RedisEngine } from '../../src/engines/redis/redis-engine.js';
import { redisStats } from '../../src/engines/redis/redis-stats.js';
import { deleteRedisPrefix, REDIS_URL, until } from '../cluster/helpers.js';

const prefix = `sbtest:batch:${process.pid}:${randomBytes(4).toString('hex')}:`;

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

describe('redis engine: publish batching', () => {
  const engines: RedisEngine[] = [];
  const engine = async (nodeId: number, handlers: EngineHandlers, publishBatchMax?: number) => {
    const e = new RedisEngine({ url: REDIS_URL, prefix, nodeId, publishBatchMax });
    engines.push(e);
    await e.start(handlers);
    return e;
  };
  after(async () => {
    await Promise.all(engines.map((e) => e.close()));
    await deleteRedisPrefix(prefix);
  });

  it('many publications at once: fewer script calls, each channel in call order without a hole', async () => {
    const rec = recorder();
    const publisher = await engine(1, recorder(), 16);
    const watcher = await engine(2, rec);
    const channels = ['a', 'b', 'c'];
    for (const ch of channels) await watcher.log.watch('ns', ch);
    const calls0 = redisStats.publishCalls;
    const pubs0 = redisStats.publications;
    // 300 publications in one turn, interleaved over three channels; nobody awaits in between.
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        publisher.log.publish('ns', channels[i % 3]!, { data: i }, { historySize: 50 }),
      ),
    );
    const calls = redisStats.publishCalls - calls0;
    assert.equal(redisStats.publications - pubs0, 300);
    assert.ok(calls <= 300 / 16 + 1, `300 publications in ${calls} script calls (at most 16 each)`);
    for (const [k, ch] of channels.entries()) {
      const mine = results.filter((_, i) => i % 3 === k).map((r) => r.publication);
      assert.deepEqual(
        mine.map((p) => p.ord),
        Array.from({ length: 100 }, (_, i) => i + 1),
        `channel ${ch}: ords 1..100 in call order`,
      );
      assert.deepEqual(
        mine.map((p) => p.data),
        Array.from({ length: 100 }, (_, i) => i * 3 + k),
      );
    }
    await until(() => rec.got.length === 300, 'all 300 at the watching node');
    for (const [k, ch] of channels.entries()) {
      const seen = rec.got.filter((p) => p.channel === ch);
      assert.deepEqual(
        seen.map((p) => p.data),
        Array.from({ length: 100 }, (_, i) => i * 3 + k),
        `channel ${ch} delivered in order, once each`,
      );
    }
    // History is bounded to the newest 50 and reads back in order.
    const h = await publisher.log.history('ns', 'a', { after: 0 });
    assert.equal(h.top, 100);
    assert.deepEqual(
      h.publications.map((p) => p.ord),
      Array.from({ length: 50 }, (_, i) => i + 51),
    );
  });

  it('a batch reaches exactly the nodes watching its channels or their namespace, and counts them', async () => {
    const publisher = await engine(11, recorder(), 16);
    const byChannel = recorder();
    const byNamespace = recorder();
    await (await engine(12, byChannel)).log.watch('counted', 'a');
    await (await engine(13, byNamespace)).log.watchNamespace('counted');
    // One turn: 30 publications over three channels of a watched namespace, 3 to a namespace
    // nobody watches; each asks how many subscribers it reached (one per node that got it).
    const results = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) =>
        publisher.log.publish('counted', 'abc'[i % 3]!, { data: i }, { historySize: 10, count: true }),
      ),
      ...Array.from({ length: 3 }, (_, i) =>
        publisher.log.publish('unwatched', 'a', { data: i }, { historySize: 10, count: true }),
      ),
    ]);
    assert.deepEqual(
      results.map((r) => r.delivered?.delivered),
      [...Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 2 : 1)), 0, 0, 0],
      'channel a: both nodes; b and c: the namespace watcher; the unwatched namespace: none',
    );
    await until(() => byNamespace.got.length === 30 && byChannel.got.length === 10, 'deliveries');
    assert.deepEqual(
      byChannel.got.map((p) => p.data),
      Array.from({ length: 10 }, (_, i) => i * 3),
    );
  });

  it('a Redis error on one channel fails only that channel’s publications of the batch', async () => {
    const publisher = await engine(3, recorder(), 64);
    // A key of the wrong type where channel "broken" keeps its history: RPUSH fails there.
    const admin = new Redis(REDIS_URL);
    await admin.set(new Keys(prefix).history('ns', 'broken'), 'not a list');
    admin.disconnect();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        publisher.log.publish('ns', i % 2 === 0 ? 'fine' : 'broken', { data: i }, { historySize: 10 }).then(
          (r) => ({ ok: true as const, ord: r.publication.ord }),
          (err: unknown) => ({ ok: false as const, err }),
        ),
      ),
    );
    for (const [i, o] of outcomes.entries()) {
      if (i % 2 === 0) assert.ok(o.ok, `publication ${i} to the fine channel succeeded`);
      else {
        assert.ok(!o.ok, `publication ${i} to the broken channel failed`);
        assert.ok(o.err instanceof HubError);
        assert.equal(o.err.code, 'engine_unavailable');
        assert.match(o.err.message, /publish failed: Redis answered with an error \(.*WRONGTYPE/);
      }
    }
    assert.deepEqual(
      outcomes.filter((o) => o.ok).map((o) => (o as { ord: number }).ord),
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
  });

  it('with publish_batch_max 1 every publication is its own call, with the same results', async () => {
    const publisher = await engine(4, recorder(), 1);
    const calls0 = redisStats.publishCalls;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        publisher.log.publish('ns', 'single', { data: i }, { historySize: 50 }),
      ),
    );
    assert.equal(redisStats.publishCalls - calls0, 30);
    assert.deepEqual(
      results.map((r) => r.publication.ord),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
  });

  it('a publication alone is sent at once, not held for a batch', async () => {
    const publisher = await engine(5, recorder(), 64);
    const calls0 = redisStats.publishCalls;
    for (let i = 0; i < 10; i++) await publisher.log.publish('ns', 'alone', { data: i }, { historySize: 5 });
    assert.equal(redisStats.publishCalls - calls0, 10, 'one call per awaited publication');
  });
});
