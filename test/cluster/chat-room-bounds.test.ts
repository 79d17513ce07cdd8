/**
 * chat.max_rooms over the Redis engine, on two nodes sharing one Redis: creating one room too many
 * evicts the least recently active room cluster-wide, its history leaves Redis, and the eviction
 * is counted. The memory engine's case is test/protocol/chat-room-bounds.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { limitCount } from '../../src/core/limit-counters.js';
import { Keys } from '../../src/engines/redis/keys.js';
import { get } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import { REDIS_URL } from './helpers.js';

const prefix = `sbtest:chatbounds:${process.pid}:${Date.now()}:`;
const MAX_ROOMS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chat rooms are bounded on the Redis engine', () => {
  let a: Awaited<ReturnType<typeof startTestServer>>;
  let b: Awaited<ReturnType<typeof startTestServer>>;
  let redis: Redis;
  before(async () => {
    const node = (id: number) => ({
      engine: { type: 'redis', url: REDIS_URL, prefix },
      node_id: id,
      chat: { max_rooms: MAX_ROOMS, max_new_rooms_per_minute: 1000 },
    });
    a = await startTestServer(node(41));
    b = await startTestServer(node(42));
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    redis?.disconnect();
  });

  async function post(server: typeof a, room: string, text: string): Promise<void> {
    const c = await RawClient.connect(server.wsUrl('/ws?username=flood'));
    c.send({ room, text });
    assert.equal((await c.next()).room, room);
    await c.close();
    await sleep(5); // distinct last-message times: "least recently active" is then unambiguous
  }

  it('evicts the least recently active room with its history, on every node, and counts it', async () => {
    const ns = a.config.chat.namespace;
    const keys = new Keys(prefix);
    const text = 'z'.repeat(10_000);
    for (let i = 0; i < MAX_ROOMS; i++) await post(i % 2 ? b : a, `room-${i}`, text);
    await post(b, 'room-0', 'room-0 is active again'); // room-1 is now the least recently active
    assert.equal(await redis.exists(keys.history(ns, 'room-1')), 1, 'room-1 has its history in Redis');

    const evictedBefore = limitCount('chat_max_rooms');
    await post(a, 'room-new', text); // one room too many
    assert.equal(limitCount('chat_max_rooms') - evictedBefore, 1, 'one eviction counted');

    assert.equal(await redis.exists(keys.history(ns, 'room-1')), 0, 'its history left Redis');
    for (const node of [a, b]) {
      const names = (await node.hub.channels(ns)).map((c) => c.name).sort();
      assert.deepEqual(
        names,
        ['room-0', 'room-2', 'room-3', 'room-4', 'room-new'],
        'every node sees the same rooms',
      );
      assert.equal((await get(`${node.url}/api/rooms/room-1/history`)).status, 404);
      const kept = await get(`${node.url}/api/rooms/room-0/history`);
      assert.equal(kept.status, 200);
      assert.equal(kept.body.result.length, 2, 'the room kept is whole');
    }
  });
});
