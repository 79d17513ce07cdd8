/**
 * Release 0.1.0 wrote history entries and pub/sub messages as JSON with the ord and time spliced
 * in by the publish script (`{"o":ord,"t":ms,"c":…}`). This release writes `<ord> <ms> <json>`
 * records, and still reads the old ones: a channel's history written before an upgrade stays
 * readable and resumable across the change of format, and a message from a node that still runs
 * 0.1.0 is still delivered.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Publication } from '../../src/core/types.js';
import { Keys } from '../../src/engines/redis/keys.js';
import { RedisEngine } from '../../src/engines/redis/redis-engine.js';
import { deleteRedisPrefix, REDIS_URL, until } from './helpers.js';

const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;

describe('redis: entries written by release 0.1.0', () => {
  const redis = new Redis(REDIS_URL);
  const engine = new RedisEngine({ url: REDIS_URL, prefix, nodeId: 201 });
  const got: Publication[] = [];
  after(async () => {
    await engine.close();
    await deleteRedisPrefix(prefix);
    redis.disconnect();
  });

  it('reads old history, resumes across the format change, and delivers an old message', async () => {
    await engine.start({
      onPublication: (_ns, p) => {
        got.push(p);
        return { delivered: 1, failed: 0 };
      },
      onControl: async () => ({ ok: true }),
    });
    const keys = new Keys(prefix);
    const now = Date.now();
    await redis.rpush(
      keys.history('ns', 'room'),
      `{"o":1,"t":${now},"c":"room","d":{"text":"one"},"s":"ann"}`,
      `{"o":2,"t":${now},"c":"room","d":[],"e":"ev"}`,
    );
    await redis.set(keys.ord('ns', 'room'), '2');
    await engine.log.publish('ns', 'room', { data: { text: 'three' } }, { historySize: 10 });

    const all = await engine.log.history('ns', 'room', { after: 0 });
    assert.deepEqual(
      all.publications.map((p) => [p.ord, p.data, p.sender, p.event]),
      [
        [1, { text: 'one' }, 'ann', undefined],
        [2, [], undefined, 'ev'],
        [3, { text: 'three' }, undefined, undefined],
      ],
    );
    assert.equal(all.top, 3);
    const resumed = await engine.log.history('ns', 'room', { after: 1 });
    assert.deepEqual(
      resumed.publications.map((p) => p.ord),
      [2, 3],
    );

    await engine.log.watch('ns', 'live');
    await redis.set(keys.ord('ns', 'live'), '6');
    const legacy = `{"n":"ns","p":{"o":7,"t":${now},"c":"live","d":"from an old node"}}`;
    await redis.publish(keys.channelTopic('ns', 'live'), legacy);
    await until(() => got.some((p) => p.channel === 'live'), 'the 0.1.0 message is delivered');
    const p = got.find((x) => x.channel === 'live')!;
    assert.equal(p.ord, 7);
    assert.equal(p.data, 'from an old node');
  });
});
