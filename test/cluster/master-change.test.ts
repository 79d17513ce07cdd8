/**
 * A master that comes back without its newest writes (what a failover to a lagging replica does,
 * reproduced deterministically: a Redis restarted from a snapshot taken before the last three
 * publications). Those three ords were delivered live; the ords after the switch must not reuse
 * them, the watcher must get the new publications, and history stays readable across the jump.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RedisEngine } from '../../src/engines/redis/redis-engine.js';
import { recorder } from '../conformance/harness.js';
import { freePort, RedisProc, redisCall, redisServerAvailable } from '../helpers/redis-procs.js';
import { until } from './helpers.js';

const skip =
  !redisServerAvailable() && 'redis-server is not on PATH (needed for a private, restartable Redis)';

describe('redis engine: a master without its newest writes', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-master-change-'));
  let redis: RedisProc;
  const engines: RedisEngine[] = [];
  after(async () => {
    await Promise.all(engines.map((e) => e.close()));
    await redis?.kill9();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never hands out an ord again; history reads across the jump', async () => {
    const port = await freePort();
    // No automatic snapshots: the test takes the one it restarts from.
    redis = new RedisProc(port, dir, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    await redis.start();
    const url = `redis://127.0.0.1:${port}`;
    const rec = recorder();
    const watcher = new RedisEngine({ url, prefix: 'sbtest:mc:', nodeId: 1 });
    const publisher = new RedisEngine({ url, prefix: 'sbtest:mc:', nodeId: 2 });
    engines.push(watcher, publisher);
    await watcher.start(rec);
    await publisher.start(recorder());
    const got = () => rec.received.map((r) => r.p);
    await watcher.log.watch('ns', 'ch');
    const opts = { historySize: 100 };
    const publish = async (data: number) =>
      (await publisher.log.publish('ns', 'ch', { data }, opts)).publication.ord;
    for (let i = 1; i <= 10; i++) await publish(i);
    assert.equal(await redisCall(port, 'SAVE'), 'OK');
    for (let i = 11; i <= 13; i++) await publish(i);
    await until(() => got().length === 13, 'the 13 live');
    const lastBefore = got().at(-1)!.ord;

    await redis.kill9();
    await redis.start(); // from the snapshot: the counter is back at the 10th ord
    await until(() => publisher.ready() && watcher.ready(), 'both ready on the new master', 15_000);

    const next = await publish(14);
    assert.ok(next > lastBefore, `ord ${next} is above every ord handed out before (${lastBefore})`);
    await until(() => got().length === 14, 'the watcher got the publication after the switch');
    assert.deepEqual(
      got().map((p) => p.data),
      Array.from({ length: 14 }, (_, i) => i + 1),
    );
    const ords = got().map((p) => p.ord);
    assert.ok(
      ords.every((o, i) => i === 0 || o > ords[i - 1]!),
      'ords only go up',
    );

    const tenth = ords[9]!;
    const data = async (q: { after: number } | { last: number }) =>
      (await publisher.log.history('ns', 'ch', q)).publications.map((p) => p.data);
    assert.deepEqual(await data({ after: tenth - 4 }), [7, 8, 9, 10, 14], 'across the jump');
    assert.deepEqual(await data({ after: tenth }), [14], 'the lost three are gone, the new one is there');
    assert.deepEqual(await data({ after: lastBefore }), [14], 'from an ord the new master never had');
    assert.deepEqual(await data({ after: next }), []);
    assert.deepEqual(await data({ last: 3 }), [9, 10, 14]);
    const second = await publish(15);
    assert.equal(second, next + 1, 'contiguous again after the jump');
    assert.deepEqual(await data({ after: next - 1 }), [14, 15]);
  });
});
