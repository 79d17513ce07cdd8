/**
 * `namespaces.N.max_channels` over the Redis engine: a rocket WRITE user broadcasting to ever new
 * channels keeps at most max_channels of them, and an evicted channel's history leaves Redis.
 * The memory engine's case is test/protocol/channel-bound.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Keys } from '../../src/engines/redis/keys.js';
import { BOUNDED_NAMESPACES, floodRocketChannels } from '../protocol/channel-bound-scenario.js';
import { type RocketTestServer, startRocketServer } from '../protocol/rocket-fixtures.js';
import { deleteRedisPrefix, REDIS_URL } from './helpers.js';

const prefix = `sbtest:rocketbound:${process.pid}:${Date.now()}:`;

describe('rocket: channels with history are bounded per vhost (Redis engine)', () => {
  let server: RocketTestServer;
  let redis: Redis;
  before(async () => {
    server = await startRocketServer({
      namespaces: BOUNDED_NAMESPACES,
      engine: { type: 'redis', url: REDIS_URL, prefix },
    });
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    await server?.close();
    redis?.disconnect();
    await deleteRedisPrefix(prefix);
  });

  it('broadcasting to max_channels + 3 new channels evicts the 3 oldest, their history gone from Redis', async () => {
    const keys = new Keys(prefix);
    await floodRocketChannels(
      server,
      async (channel) => (await redis.exists(keys.history('app', channel))) === 0,
    );
  });
});
