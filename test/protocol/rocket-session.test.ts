// Rocket (the original WebRocket protocol, docs/protocol/rocket.md): framing, authenticate, subscribe/unsubscribe, logout, disconnect, vhost
// isolation — raw frames against a real server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectRefused } from '../helpers/ws-client.js';
import {
  closeAll,
  connect,
  connectAs,
  expectErr,
  login,
  startRocketServer,
  subscribe,
  useRocketServer,
} from './rocket-fixtures.js';

const server = useRocketServer();

const publish = (channel: string, data: unknown, ns = 'app') =>
  server.hub.publish(ns, channel, { data: data as any, event: 'test' });

describe('rocket: framing', () => {
  it('answers garbage with INVALID_PAYLOAD and keeps the connection open', async () => {
    const c = await connect(server);
    const garbage = ['not json', '{"broken":', '[]', '"subscribe"', '42', 'null', '{}'];
    for (const g of garbage) {
      c.send(g);
      await expectErr(c, 'INVALID_PAYLOAD');
    }
    c.send({ authenticate: { user: 'reader', secret: 'r' }, subscribe: { channel: 'x' } });
    await expectErr(c, 'INVALID_PAYLOAD');
    c.sendBinary(Buffer.from([0xff, 0x00, 0xfe, 0x13, 0x37]));
    await expectErr(c, 'INVALID_PAYLOAD');
    // Still open and working.
    await login(c, 'reader');
    await c.close();
  });

  it('reads a JSON message sent in a binary frame like a text one', async () => {
    const c = await connect(server);
    c.sendBinary(Buffer.from('{"authenticate":{"user":"reader","secret":"r"}}'));
    assert.deepEqual(await c.next(), { authenticated: 'reader' });
    await c.close();
  });

  it('answers an unknown event with UNDEFINED_EVENT naming it', async () => {
    const c = await connect(server);
    c.send({ publish: { channel: 'x' } });
    assert.deepEqual(await c.next(), { err: 'UNDEFINED_EVENT', event: 'publish' });
    c.send({ AUTHENTICATE: { user: 'reader' } });
    assert.deepEqual(await c.next(), { err: 'UNDEFINED_EVENT', event: 'AUTHENTICATE' });
    await c.close();
  });

  it('answers requests in the order they were sent', async () => {
    const c = await connectAs(server, 'writer');
    const channels = Array.from({ length: 20 }, (_, i) => `order-${i}`);
    for (const ch of channels) c.send({ subscribe: { channel: ch } });
    for (const ch of channels) assert.deepEqual(await c.next(), { subscribed: ch });
    await c.close();
  });
});

describe('rocket: authenticate', () => {
  it('checks INVALID_PAYLOAD → INVALID_USER_NAME → USER_NOT_FOUND → INVALID_CREDENTIALS', async () => {
    const c = await connect(server);
    c.send({ authenticate: 'reader' });
    await expectErr(c, 'INVALID_PAYLOAD');
    c.send({ authenticate: { user: '', secret: 42 } });
    await expectErr(c, 'INVALID_USER_NAME');
    c.send({ authenticate: { user: 'reader', secret: 42 } });
    await expectErr(c, 'INVALID_CREDENTIALS');
    c.send({ authenticate: { user: 'open', secret: { foo: 'bar' } } });
    assert.deepEqual(await c.next(), { authenticated: 'open' });
    c.send({ authenticate: { secret: 'r' } });
    await expectErr(c, 'INVALID_USER_NAME');
    c.send({ authenticate: { user: 'no spaces allowed', secret: 'r' } });
    await expectErr(c, 'INVALID_USER_NAME');
    c.send({ authenticate: { user: 'ghost', secret: 'r' } });
    await expectErr(c, 'USER_NOT_FOUND');
    c.send({ authenticate: { user: 'reader', secret: 'wrong' } });
    await expectErr(c, 'INVALID_CREDENTIALS');
    c.send({ authenticate: { user: 'reader' } });
    await expectErr(c, 'INVALID_CREDENTIALS');
    c.send({ authenticate: { user: 'reader', secret: 'r' } });
    assert.deepEqual(await c.next(), { authenticated: 'reader' });
    await c.close();
  });

  it('accepts any secret, or none, for a user with an empty secret', async () => {
    const c = await connect(server);
    for (const auth of [
      { user: 'open' },
      { user: 'open', secret: '' },
      { user: 'open', secret: 'whatever' },
    ]) {
      c.send({ authenticate: auth });
      assert.deepEqual(await c.next(), { authenticated: 'open' });
    }
    await subscribe(c, 'open-channel');
    c.send({ broadcast: { event: 'e', channel: 'open-channel', data: 1 } });
    assert.deepEqual(await c.next(), { event: 'e', channel: 'open-channel', data: 1 });
    assert.deepEqual(await c.next(), { broadcasted: 'open-channel' });
    await c.close();
  });

  it('re-authentication replaces the permissions and keeps the subscriptions', async () => {
    const c = await connectAs(server, 'writer');
    await subscribe(c, 'reauth');
    await login(c, 'reader');
    await publish('reauth', 'still here');
    assert.deepEqual(await c.next(), { event: 'test', channel: 'reauth', data: 'still here' });
    c.send({ broadcast: { event: 'e', channel: 'reauth' } });
    await expectErr(c, 'ACCESS_DENIED');
    await c.close();
  });

  it('a failed re-authentication leaves the session as it was', async () => {
    const c = await connectAs(server, 'writer');
    await subscribe(c, 'failed-reauth');
    c.send({ authenticate: { user: 'boss', secret: 'wrong' } });
    await expectErr(c, 'INVALID_CREDENTIALS');
    c.send({ authenticate: { user: 'ghost' } });
    await expectErr(c, 'USER_NOT_FOUND');
    // Still the writer: may broadcast, still subscribed.
    c.send({ broadcast: { event: 'e', channel: 'failed-reauth', data: null } });
    assert.deepEqual(await c.next(), { event: 'e', channel: 'failed-reauth', data: null });
    assert.deepEqual(await c.next(), { broadcasted: 'failed-reauth' });
    await c.close();
  });

  it('re-authenticating as a user without READ drops the subscriptions', async () => {
    const c = await connectAs(server, 'writer');
    await subscribe(c, 'no-read');
    await login(c, 'pusher');
    await publish('no-read', 'secret stuff');
    assert.ok(await c.silentFor(150), 'a user without READ must not receive publications');
    await login(c, 'writer');
    c.send({ unsubscribe: { channel: 'no-read' } });
    await expectErr(c, 'CHANNEL_NOT_FOUND');
    await c.close();
  });
});

describe('rocket: subscribe and unsubscribe', () => {
  it('subscribe checks ACCESS_DENIED → INVALID_PAYLOAD → INVALID_CHANNEL_NAME', async () => {
    const c = await connect(server);
    // Not authenticated: denied before the payload or the channel name is looked at.
    c.send({ subscribe: 'hello' });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ subscribe: { channel: '' } });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ subscribe: { channel: 'hello' } });
    await expectErr(c, 'ACCESS_DENIED');
    await login(c, 'pusher'); // WRITE but not READ
    c.send({ subscribe: { channel: 'hello' } });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ subscribe: 'hello' });
    await expectErr(c, 'ACCESS_DENIED');
    await login(c, 'reader');
    c.send({ subscribe: 'hello' });
    await expectErr(c, 'INVALID_PAYLOAD');
    c.send({ subscribe: {} });
    await expectErr(c, 'INVALID_CHANNEL_NAME');
    c.send({ subscribe: { channel: '' } });
    await expectErr(c, 'INVALID_CHANNEL_NAME');
    c.send({ subscribe: { channel: 'bad\nname' } });
    await expectErr(c, 'INVALID_CHANNEL_NAME');
    c.send({ subscribe: { channel: 'x'.repeat(256) } });
    await expectErr(c, 'INVALID_CHANNEL_NAME');
    await subscribe(c, 'hello');
    await subscribe(c, 'Привет мир');
    await c.close();
  });

  it('a READ-only user subscribes and receives every publication of the channel, in order', async () => {
    const c = await connectAs(server, 'reader');
    await subscribe(c, 'news');
    for (let i = 1; i <= 5; i++) await publish('news', { i });
    for (let i = 1; i <= 5; i++)
      assert.deepEqual(await c.next(), { event: 'test', channel: 'news', data: { i } });
    await c.close();
  });

  it('subscribing twice answers subscribed again and delivers once', async () => {
    const c = await connectAs(server, 'reader');
    await subscribe(c, 'twice');
    await subscribe(c, 'twice');
    await publish('twice', 1);
    assert.deepEqual(await c.next(), { event: 'test', channel: 'twice', data: 1 });
    assert.ok(await c.silentFor(100));
    await c.close();
  });

  it('unsubscribe checks ACCESS_DENIED → INVALID_PAYLOAD → INVALID_CHANNEL_NAME → CHANNEL_NOT_FOUND', async () => {
    const c = await connect(server);
    c.send({ unsubscribe: true });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ unsubscribe: { channel: '' } });
    await expectErr(c, 'ACCESS_DENIED');
    await login(c, 'reader');
    c.send({ unsubscribe: true });
    await expectErr(c, 'INVALID_PAYLOAD');
    c.send({ unsubscribe: { channel: 5 } });
    await expectErr(c, 'INVALID_CHANNEL_NAME');
    c.send({ unsubscribe: { channel: 'never-existed' } });
    await expectErr(c, 'CHANNEL_NOT_FOUND');
    await subscribe(c, 'leave-me');
    c.send({ unsubscribe: { channel: 'leave-me' } });
    assert.deepEqual(await c.next(), { unsubscribed: 'leave-me' });
    c.send({ unsubscribe: { channel: 'leave-me' } });
    await expectErr(c, 'CHANNEL_NOT_FOUND');
    await publish('leave-me', 'gone');
    assert.ok(await c.silentFor(150), 'no publication after unsubscribe');
    await c.close();
  });

  it('unsubscribing a channel someone else subscribes is CHANNEL_NOT_FOUND for this connection', async () => {
    const a = await connectAs(server, 'reader');
    const b = await connectAs(server, 'reader');
    await subscribe(a, 'theirs');
    b.send({ unsubscribe: { channel: 'theirs' } });
    await expectErr(b, 'CHANNEL_NOT_FOUND');
    await closeAll(a, b);
  });
});

describe('rocket: logout and disconnect', () => {
  it('logout needs a session, unsubscribes everything, and later subscribes are denied', async () => {
    const c = await connect(server);
    c.send({ logout: true });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ logout: 'now' });
    await expectErr(c, 'ACCESS_DENIED'); // no session: denied whatever the payload
    await login(c, 'reader');
    c.send({ logout: 'now' });
    assert.deepEqual(await c.next(), { loggedOut: true }, 'the payload is never read');
    await login(c, 'reader');
    await subscribe(c, 'before-logout');
    c.send({ logout: true });
    assert.deepEqual(await c.next(), { loggedOut: true });
    await publish('before-logout', 'after');
    assert.ok(await c.silentFor(150), 'no publication after logout');
    c.send({ subscribe: { channel: 'before-logout' } });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ logout: true });
    await expectErr(c, 'ACCESS_DENIED');
    await login(c, 'reader');
    await c.close();
  });

  it('disconnect closes the connection with 1000 and no reply', async () => {
    const c = await connect(server);
    c.send({ disconnect: true });
    const closed = await c.closed;
    assert.equal(closed.code, 1000);
    assert.equal(c.buffered, 0, 'no reply before the close');
  });

  it('disconnect of an authenticated, subscribed session drops its subscriptions', async () => {
    const c = await connectAs(server, 'reader');
    await subscribe(c, 'bye');
    c.send({ disconnect: true });
    assert.equal((await c.closed).code, 1000);
    const deadline = Date.now() + 2000;
    while (server.hub.hasLocalSubscribers('app', 'bye') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(server.hub.hasLocalSubscribers('app', 'bye'), false);
  });

  it('disconnect closes whatever the payload', async () => {
    for (const payload of ['please', false, null, 0]) {
      const c = await connect(server);
      c.send({ disconnect: payload });
      assert.equal((await c.closed).code, 1000, JSON.stringify(payload));
      assert.equal(c.buffered, 0);
    }
  });
});

describe('rocket: vhosts', () => {
  it('users of one vhost do not exist in another', async () => {
    const c = await connect(server, '/other');
    c.send({ authenticate: { user: 'writer', secret: 'w' } });
    await expectErr(c, 'USER_NOT_FOUND');
    c.send({ authenticate: { user: 'open' } });
    await expectErr(c, 'USER_NOT_FOUND');
    await login(c, 'stranger', 's');
    await c.close();
    const a = await connect(server, '/app');
    a.send({ authenticate: { user: 'stranger', secret: 's' } });
    await expectErr(a, 'USER_NOT_FOUND');
    await a.close();
  });

  it('channels of the same name in two vhosts are separate', async () => {
    const app = await connectAs(server, 'writer');
    const other = await connectAs(server, 'stranger', '/other');
    await subscribe(app, 'shared-name');
    await subscribe(other, 'shared-name');
    app.send({ broadcast: { event: 'e', channel: 'shared-name', data: 'app only' } });
    assert.deepEqual(await app.next(), { event: 'e', channel: 'shared-name', data: 'app only' });
    assert.deepEqual(await app.next(), { broadcasted: 'shared-name' });
    assert.ok(await other.silentFor(150), 'a broadcast never crosses vhosts');
    await closeAll(app, other);
  });

  it('serves only configured vhost paths', async () => {
    const refused = await expectRefused(server.wsUrl('/nope'));
    assert.equal(refused.status, 404);
  });
});

describe('rocket: rate limit', () => {
  it('answers messages past the rate with RATE_LIMITED, in order, and keeps the connection', async () => {
    const limited = await startRocketServer({
      limits: { max_messages_per_second: 1, max_messages_burst: 2 },
    });
    try {
      const c = await connect(limited);
      for (let i = 0; i < 4; i++) c.send({ authenticate: { user: 'reader', secret: 'r' } });
      assert.deepEqual(await c.next(), { authenticated: 'reader' });
      assert.deepEqual(await c.next(), { authenticated: 'reader' });
      await expectErr(c, 'RATE_LIMITED');
      await expectErr(c, 'RATE_LIMITED');
      await c.close();
    } finally {
      await limited.close();
    }
  });
});
