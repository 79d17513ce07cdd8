/**
 * A hung Redis: the server keeps every connection open but answers nothing (SIGSTOP, as a paused
 * VM would; `DEBUG SLEEP`, as one long command would). Callers must get a clear error within the
 * command timeout, and nothing they were told "not published" may be published when Redis goes
 * on. Done only to a private `redis-server` the test starts, stops and continues itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { HubError } from '../../src/core/errors.js';
import type { Publication } from '../../src/core/types.js';
import type { EngineHandlers } from '../../src/engines/engine.js';
import { RedisEngine } from '../../src/engines/redis/redis-engine.js';
import { redisServerAvailable, ThrowawayRedis, until } from './helpers.js';

const skip = !redisServerAvailable() && 'redis-server is not on PATH (needed for a private, stoppable Redis)';
const prefix = 'sbtest:hang:';
const TIMEOUT_MS = 400;
const opts = { historySize: 1000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

interface Attempt {
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * Publish up to `n` times, one every `everyMs` (none awaiting the previous), for at most `forMs`
 * (so that on a busy machine no attempt is made after the hang ends), and record each outcome.
 */
async function publishDuring(
  engine: RedisEngine,
  channel: string,
  n: number,
  everyMs: number,
  forMs: number,
) {
  const attempts: Promise<Attempt>[] = [];
  const start = Date.now();
  for (let i = 0; i < n && Date.now() - start < forMs; i++) {
    const t0 = Date.now();
    attempts.push(
      engine.log.publish('ns', channel, { data: { during: i } }, opts).then(
        () => ({ ok: true, ms: Date.now() - t0 }),
        (err: unknown) => {
          assert.ok(err instanceof HubError, `a HubError, got ${String(err)}`);
          assert.equal(err.code, 'engine_unavailable');
          return { ok: false, ms: Date.now() - t0, error: err.message };
        },
      ),
    );
    await sleep(everyMs);
  }
  return Promise.all(attempts);
}

describe('redis engine: a hung Redis', { skip }, () => {
  let redis: ThrowawayRedis;
  let publisher: RedisEngine;
  let watcher: RedisEngine;
  const rec = recorder();
  before(async () => {
    redis = await ThrowawayRedis.create(['--enable-debug-command', 'yes']);
    const common = { url: redis.url, prefix, commandTimeoutMs: TIMEOUT_MS, pingIntervalMs: 100 };
    publisher = new RedisEngine({ ...common, nodeId: 1, pingThresholdMs: 200 });
    watcher = new RedisEngine({ ...common, nodeId: 2, pingThresholdMs: 200 });
    await publisher.start(recorder());
    await watcher.start(rec);
  });
  after(async () => {
    redis.resume();
    await Promise.all([publisher.close(), watcher.close()]);
    await redis.kill();
  });

  async function top(channel: string): Promise<number> {
    return (await publisher.log.history('ns', channel, { after: 0 })).top;
  }

  for (const how of ['SIGSTOP', 'DEBUG SLEEP'] as const) {
    it(`${how}: publishes fail within the timeout, say "not published", and none runs afterwards`, async (t) => {
      const channel = `hang-${how.replace(' ', '-')}`;
      await watcher.log.watch('ns', channel);
      for (let i = 0; i < 5; i++) await publisher.log.publish('ns', channel, { data: i }, opts);
      await until(() => rec.got.filter((p) => p.channel === channel).length === 5, 'the first 5');

      let sleeper: Redis | undefined;
      // A failed assertion must not leave this connection keeping the test process alive.
      t.after(() => sleeper?.disconnect());
      if (how === 'SIGSTOP') redis.pause();
      else {
        sleeper = new Redis(redis.url);
        sleeper.on('error', () => undefined);
        void sleeper.call('DEBUG', 'SLEEP', '3').catch(() => undefined);
        await sleep(50); // the sleep has started
      }
      const hungAt = Date.now();
      // Up to 1.5 s of publications, one every 15 ms: ~100 attempts while Redis answers nothing
      // (the last one's timeout ends well before the 3 s sleep does).
      const attempts = publishDuring(publisher, channel, 100, 15, 1500);
      await until(() => !publisher.ready(), 'not ready while Redis is hung', 2000);
      const notReadyAfter = Date.now() - hungAt;
      const outcomes = await attempts;
      if (how === 'SIGSTOP') await sleep(300);
      if (how === 'SIGSTOP') redis.resume();

      assert.equal(outcomes.filter((o) => o.ok).length, 0, 'no publication succeeds while Redis is hung');
      for (const o of outcomes) {
        assert.match(o.error ?? '', /not published/, 'the caller learns it was not published');
        assert.ok(o.ms < TIMEOUT_MS + 500, `answered within the timeout (took ${o.ms} ms)`);
      }
      assert.ok(notReadyAfter < 1500, `not ready within 1.5 s (after ${notReadyAfter} ms)`);

      // Redis goes on with everything that was sent to it meanwhile: every script must be a no-op.
      await until(() => publisher.ready(), 'ready again', 5000);
      await sleep(200);
      assert.equal(await top(channel), 5, 'no publication of the hang was executed late');
      const after = await publisher.log.publish('ns', channel, { data: 'after' }, opts);
      assert.equal(after.publication.ord, 6);
      await until(() => rec.got.filter((p) => p.channel === channel).length === 6, 'the one after');
      assert.deepEqual(
        rec.got.filter((p) => p.channel === channel).map((p) => p.data),
        [0, 1, 2, 3, 4, 'after'],
      );
    });
  }
});
