import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { limitCount } from '../../src/core/limit-counters.js';
import { get } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { expectRefused, RawClient } from '../helpers/ws-client.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

// One anonymous client posting a 10 KB text to a new room each time: the server keeps at most
// max_rooms rooms (the least recently active evicted with its history) and /api/rooms lists at
// most rooms_listed of them.
describe('chat rooms are bounded', () => {
  const ROOMS = 60;
  const MAX_ROOMS = 8;
  const LISTED = 3;
  let server: Server;
  let client: RawClient;

  before(async () => {
    server = await startTestServer({
      chat: { max_rooms: MAX_ROOMS, rooms_listed: LISTED, max_new_rooms_per_minute: 1000 },
    });
    client = await RawClient.connect(server.wsUrl('/ws?username=flood'));
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('one client creating many rooms keeps rooms ≤ max_rooms, evicting the oldest with its history', async () => {
    const evictedBefore = limitCount('chat_max_rooms');
    const text = 'x'.repeat(10_000);
    for (let i = 0; i < ROOMS; i++) {
      client.send({ room: `room-${i}`, text });
      const echo = await client.next();
      assert.equal(echo.room, `room-${i}`);
    }
    const channels = await server.hub.channels(server.config.chat.namespace);
    assert.ok(channels.length <= MAX_ROOMS, `${channels.length} rooms kept`);
    assert.ok(
      channels.some((c) => c.name === `room-${ROOMS - 1}`),
      'the newest room is kept',
    );
    assert.equal(limitCount('chat_max_rooms') - evictedBefore, ROOMS - channels.length);
    // The evicted room's history went with it.
    const gone = await get(`${server.url}/api/rooms/room-0/history`);
    assert.equal(gone.status, 404);
    const kept = await get(`${server.url}/api/rooms/room-${ROOMS - 1}/history`);
    assert.equal(kept.status, 200);
    assert.equal(kept.body.result.length, 1);
  });

  it('GET /api/rooms lists at most rooms_listed rooms, the most recently active', async () => {
    const res = await get(`${server.url}/api/rooms`);
    assert.equal(res.status, 200);
    const names = res.body.result.map((r: { name: string }) => r.name);
    assert.equal(names.length, LISTED);
    assert.ok(names.includes(`room-${ROOMS - 1}`), `listed: ${names}`);
    assert.ok(!names.includes('room-0'));
  });
});

describe('chat new-room rate per address', () => {
  let server: Server;
  before(async () => {
    server = await startTestServer({ chat: { max_new_rooms_per_minute: 3 } });
  });
  after(() => server.close());

  it('past max_new_rooms_per_minute the socket closes with 1008; existing rooms still take posts', async () => {
    const before = limitCount('chat_max_new_rooms_per_minute');
    const client = await RawClient.connect(server.wsUrl('/ws?username=rate'));
    for (let i = 0; i < 3; i++) {
      client.send({ room: `r${i}`, text: 'hi' });
      assert.equal((await client.next()).room, `r${i}`);
    }
    client.send({ room: 'r0', text: 'again' });
    assert.equal((await client.next()).text, 'again');
    client.send({ room: 'r3', text: 'one too many' });
    const closed = await client.closed;
    assert.equal(closed.code, 1008);
    assert.equal(limitCount('chat_max_new_rooms_per_minute') - before, 1);
    assert.equal((await get(`${server.url}/api/rooms/r3/history`)).status, 404);
  });
});

describe('dialects.chat: false', () => {
  let server: Server;
  before(async () => {
    server = await startTestServer({ dialects: { chat: false } });
  });
  after(() => server.close());

  it('serves no chat socket and no chat API', async () => {
    await expectRefused(server.wsUrl('/ws?username=x'));
    assert.equal((await get(`${server.url}/api/rooms`)).status, 404);
  });
});
