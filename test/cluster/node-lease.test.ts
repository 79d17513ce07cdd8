/** Node ids leased from Redis (`engine.lease_node_id`): unique while held, free again after. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { EngineHandlers } from '../../src/engines/engine.js';
import { RedisEngine } from '../../src/engines/redis/redis-engine.js';
import { deleteRedisPrefix, REDIS_URL } from './helpers.js';

const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;
const handlers = (name: string): EngineHandlers => ({
  onPublication: () => ({ delivered: 0, failed: 0 }),
  onControl: async (m) => ({ ok: true, result: `${name} got ${m.type}` }),
});

describe('redis engine: leased node ids', () => {
  after(async () => {
    await deleteRedisPrefix(prefix);
  });

  it('gives concurrent nodes distinct ids that route, and frees an id when its node stops', async () => {
    const engines = await Promise.all(
      Array.from({ length: 4 }, () => RedisEngine.connect({ url: REDIS_URL, prefix })),
    );
    await Promise.all(engines.map((e, i) => e.start(handlers(`n${i}`))));
    const ids = engines.map((e) => e.nodeId);
    assert.equal(new Set(ids).size, 4, `distinct ids ${ids}`);
    for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id <= 1023);
    assert.deepEqual(
      await engines[0]!.clusterNodes(),
      [...ids].sort((x, y) => x - y),
    );
    const reply = await engines[0]!.control.request(ids[3]!, {
      type: 'disconnect',
      client: '1',
      code: 1000,
      reason: 'x',
    });
    assert.deepEqual(reply, { ok: true, result: 'n3 got disconnect' });

    await engines[3]!.close();
    assert.ok(!(await engines[0]!.clusterNodes()).includes(ids[3]!), 'released on close');
    assert.equal(
      (await engines[0]!.control.request(ids[3]!, { type: 'send', client: '1', data: 'x', binary: false }))
        .ok,
      false,
    );
    await Promise.all(engines.slice(0, 3).map((e) => e.close()));
  });
});
