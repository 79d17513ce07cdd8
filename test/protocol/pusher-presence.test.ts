// Presence channels over raw frames: the member list on subscribe, member_added / member_removed
// once per user (not per connection), channel_data checks and the member limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APP,
  channelAuth,
  closeAll,
  connect,
  nextEvent,
  startPusherServer,
  subscribe,
  usePusherServer,
} from './pusher-fixtures.js';

const server = usePusherServer();

describe('pusher: presence channels', () => {
  it('lists the members on subscribe and tells the others once per user', async () => {
    const a = await connect(server);
    const first = await subscribe(a, 'presence-room', { user_id: 'ann', user_info: { name: 'Ann' } });
    assert.deepEqual(first, { presence: { count: 1, ids: ['ann'], hash: { ann: { name: 'Ann' } } } });
    const b1 = await connect(server);
    const joined = await subscribe(b1, 'presence-room', { user_id: 'bob' });
    assert.equal(joined.presence.count, 2);
    assert.deepEqual(joined.presence.ids.sort(), ['ann', 'bob']);
    assert.deepEqual(await nextEvent(a.raw), {
      event: 'pusher_internal:member_added',
      channel: 'presence-room',
      data: { user_id: 'bob', user_info: null },
    });
    // Bob's second connection: no second member_added, the count stays 2.
    const b2 = await connect(server);
    assert.equal((await subscribe(b2, 'presence-room', { user_id: 'bob' })).presence.count, 2);
    assert.equal(await a.raw.silentFor(150), true);
    assert.equal(await b1.raw.silentFor(0), true);
    // Bob leaves with one connection: still a member. With the last: member_removed, once.
    await b1.raw.close();
    assert.equal(await a.raw.silentFor(150), true);
    b2.raw.send({ event: 'pusher:unsubscribe', data: { channel: 'presence-room' } });
    assert.deepEqual(await nextEvent(a.raw), {
      event: 'pusher_internal:member_removed',
      channel: 'presence-room',
      data: { user_id: 'bob' },
    });
    assert.equal(await a.raw.silentFor(150), true);
    await closeAll(a, b2);
  });

  it('relays client events on presence channels with the sender’s user_id', async () => {
    const a = await connect(server);
    const b = await connect(server);
    await subscribe(a, 'presence-chat', { user_id: 'ann' });
    await subscribe(b, 'presence-chat', { user_id: 'bob' });
    await nextEvent(a.raw); // bob's member_added
    b.raw.send({ event: 'client-wave', channel: 'presence-chat', data: { hi: 1 } });
    assert.deepEqual(await a.raw.next(), {
      event: 'client-wave',
      channel: 'presence-chat',
      data: '{"hi":1}',
      user_id: 'bob',
    });
    await closeAll(a, b);
  });

  it('refuses missing, unsigned or malformed channel_data', async () => {
    const c = await connect(server);
    const attempts = [
      { channel: 'presence-x', auth: channelAuth(c.socketId, 'presence-x') },
      { channel: 'presence-x', auth: channelAuth(c.socketId, 'presence-x'), channel_data: '{"user_id":"a"}' },
      { channel: 'presence-x', auth: channelAuth(c.socketId, 'presence-x', 'nope'), channel_data: 'nope' },
      { channel: 'presence-x', auth: channelAuth(c.socketId, 'presence-x', '{}'), channel_data: '{}' },
    ];
    const statuses = [];
    for (const data of attempts) {
      c.raw.send({ event: 'pusher:subscribe', data });
      const err = await c.raw.next();
      assert.equal(err.event, 'pusher:subscription_error');
      statuses.push(err.data.status);
    }
    assert.deepEqual(statuses, [400, 401, 400, 400]);
    await closeAll(c);
  });

  it('refuses a new user past max_presence_members, not a member’s second connection', async () => {
    const limited = await startPusherServer({
      namespaces: { app: { pusher: { ...APP, max_presence_members: 2 } } },
    });
    try {
      const a = await connect(limited);
      const b = await connect(limited);
      const c = await connect(limited);
      await subscribe(a, 'presence-small', { user_id: '1' });
      await subscribe(b, 'presence-small', { user_id: '2' });
      c.raw.send({
        event: 'pusher:subscribe',
        data: {
          channel: 'presence-small',
          auth: channelAuth(c.socketId, 'presence-small', '{"user_id":"3"}'),
          channel_data: '{"user_id":"3"}',
        },
      });
      const err = await c.raw.next();
      assert.equal(err.event, 'pusher:subscription_error');
      assert.equal(err.data.status, 403);
      await subscribe(c, 'presence-small', { user_id: '1' });
      await closeAll(a, b, c);
    } finally {
      await limited.close();
    }
  });
});
