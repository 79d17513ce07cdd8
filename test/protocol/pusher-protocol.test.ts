// Pusher Channels protocol 7: handshake, errors and close codes, ping, public and private channels,
// client events, cache channels, sign-in, and the one hub: raw frames against a real server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawClient } from '../helpers/ws-client.js';
import {
  APP,
  channelAuth,
  closeAll,
  connect,
  expectError,
  nextEvent,
  QUIET,
  signinAuth,
  subscribe,
  usePusherServer,
} from './pusher-fixtures.js';

const server = usePusherServer();

async function refusedWith(path: string, code: number): Promise<void> {
  const raw = await RawClient.connect(server.wsUrl(path));
  await expectError(raw, code);
  assert.equal((await raw.closed).code, code);
}

describe('pusher: connection', () => {
  it('greets with a socket id and the activity timeout, as data in a JSON text', async () => {
    const raw = await RawClient.connect(server.wsUrl(`/app/${APP.key}?protocol=7&client=js&version=8.4.0`));
    const frame = await raw.next();
    assert.equal(frame.event, 'pusher:connection_established');
    assert.equal(typeof frame.data, 'string');
    const data = JSON.parse(frame.data);
    assert.match(data.socket_id, /^\d+\.\d+$/);
    assert.equal(data.activity_timeout, 120);
    await raw.close();
  });

  it('refuses an unknown app key with 4001 and protocol problems with 4006-4008', async () => {
    await refusedWith('/app/no-such-key?protocol=7', 4001);
    await refusedWith(`/app/${APP.key}`, 4008);
    await refusedWith(`/app/${APP.key}?protocol=abc`, 4006);
    await refusedWith(`/app/${APP.key}?protocol=3`, 4007);
    await refusedWith(`/app/${APP.key}/extra?protocol=7`, 4005);
    await refusedWith('/app/no-such-key/extra?protocol=7', 4001);
  });

  it('answers pusher:ping with pusher:pong', async () => {
    const c = await connect(server);
    c.raw.send({ event: 'pusher:ping', data: {} });
    assert.deepEqual(await c.raw.next(), { event: 'pusher:pong', data: '{}' });
    await closeAll(c);
  });

  it('answers every malformed frame with pusher:error and keeps the connection', async () => {
    const c = await connect(server);
    const garbage = [
      'not json',
      '[]',
      '42',
      '{}',
      '{"event":5}',
      '{"event":"pusher:subscribe"}',
      '{"event":"pusher:subscribe","data":{"channel":""}}',
      '{"event":"pusher:subscribe","data":{"channel":"bad name"}}',
      '{"event":"pusher:subscribe","data":{"channel":"x","auth":5}}',
      '{"event":"pusher:unsubscribe","data":{}}',
      '{"event":"pusher:signin","data":{"auth":"k:s"}}',
      '{"event":"nonsense"}',
      '{"event":"client-x"}',
    ];
    for (const g of garbage) {
      c.raw.send(g);
      await expectError(c.raw, null);
    }
    c.raw.sendBinary(Buffer.from([0xff, 0xfe, 0x00]));
    await expectError(c.raw, null);
    await subscribe(c, 'still-works');
    await closeAll(c);
  });

  it('ends a connection the server terminates with an error frame naming the code', async () => {
    const c = await connect(server);
    const id = c.socketId.split('.')[1]!;
    await server.hub.disconnect(id, 4009, 'terminated');
    await expectError(c.raw, 4009);
    assert.equal((await c.raw.closed).code, 4009);
  });
});

describe('pusher: public channels and the one hub', () => {
  it('delivers a publication of any dialect as {event, channel, data: string}', async () => {
    const c = await connect(server);
    assert.deepEqual(await subscribe(c, 'news'), {});
    await server.hub.publish('app', 'news', { data: { text: 'hi' }, event: 'greeting' });
    assert.deepEqual(await c.raw.next(), { event: 'greeting', channel: 'news', data: '{"text":"hi"}' });
    await server.hub.publish('app', 'news', { data: 'plain' });
    assert.deepEqual(await c.raw.next(), { event: 'message', channel: 'news', data: 'plain' });
    await closeAll(c);
  });

  it('stops delivering after pusher:unsubscribe, answering nothing', async () => {
    const c = await connect(server);
    await subscribe(c, 'gone');
    c.raw.send({ event: 'pusher:unsubscribe', data: { channel: 'gone' } });
    c.raw.send({ event: 'pusher:ping', data: {} });
    assert.equal((await c.raw.next()).event, 'pusher:pong');
    await server.hub.publish('app', 'gone', { data: 'x', event: 'e' });
    assert.equal(await c.raw.silentFor(150), true);
    await closeAll(c);
  });

  it('keeps apps apart: an app does not hear another app’s channel of the same name', async () => {
    const a = await connect(server);
    const q = await connect(server, QUIET.key);
    await subscribe(a, 'shared');
    await subscribe(q, 'shared');
    await server.hub.publish('quiet', 'shared', { data: 'for quiet', event: 'e' });
    assert.equal((await q.raw.next()).data, 'for quiet');
    assert.equal(await a.raw.silentFor(150), true);
    await closeAll(a, q);
  });
});

describe('pusher: private channels', () => {
  it('refuses a missing or wrong signature with subscription_error 401', async () => {
    const c = await connect(server);
    for (const auth of [
      undefined,
      'app-key:deadbeef',
      channelAuth('1.1', 'private-x'),
      `other:${'0'.repeat(64)}`,
    ]) {
      c.raw.send({ event: 'pusher:subscribe', data: { channel: 'private-x', auth } });
      const err = await c.raw.next();
      assert.equal(err.event, 'pusher:subscription_error');
      assert.equal(err.channel, 'private-x');
      assert.equal(err.data.status, 401);
      assert.equal(err.data.type, 'AuthError');
    }
    await subscribe(c, 'private-x');
    await closeAll(c);
  });
});

describe('pusher: client events', () => {
  it('relays a client event to the other subscribers, not back to the sender', async () => {
    const a = await connect(server);
    const b = await connect(server);
    await subscribe(a, 'private-room');
    await subscribe(b, 'private-room');
    a.raw.send({ event: 'client-typing', channel: 'private-room', data: { who: 'a' } });
    assert.deepEqual(await b.raw.next(), {
      event: 'client-typing',
      channel: 'private-room',
      data: '{"who":"a"}',
    });
    assert.equal(await a.raw.silentFor(150), true);
    await closeAll(a, b);
  });

  it('refuses client events on public channels, unsubscribed channels and apps without them', async () => {
    const a = await connect(server);
    await subscribe(a, 'open');
    a.raw.send({ event: 'client-x', channel: 'open', data: {} });
    await expectError(a.raw, null, /private- and presence-/);
    a.raw.send({ event: 'client-x', channel: 'private-elsewhere', data: {} });
    await expectError(a.raw, null, /not subscribed/);
    const q = await connect(server, QUIET.key);
    await subscribe(q, 'private-q');
    q.raw.send({ event: 'client-x', channel: 'private-q', data: {} });
    await expectError(q.raw, null, /not enabled/);
    await closeAll(a, q);
  });

  it('rate-limits client events with 4301 and keeps the connection open', async () => {
    const a = await connect(server);
    const b = await connect(server);
    await subscribe(a, 'private-burst');
    await subscribe(b, 'private-burst');
    for (let i = 0; i < 15; i++) a.raw.send({ event: 'client-n', channel: 'private-burst', data: { i } });
    // The bucket holds 10 (max_client_events_per_second): the 11th and later are refused.
    let refused = 0;
    for (let i = 10; i < 15; i++) {
      await expectError(a.raw, 4301, /rate limit/);
      refused++;
    }
    assert.equal(refused, 5);
    for (let i = 0; i < 10; i++) assert.equal((await nextEvent(b.raw)).data.i, i);
    assert.equal(await b.raw.silentFor(100), true);
    await closeAll(a, b);
  });
});

describe('pusher: cache channels', () => {
  it('answers pusher:cache_miss first, then the last event to each new subscriber', async () => {
    const a = await connect(server);
    await subscribe(a, 'cache-prices');
    assert.deepEqual(await a.raw.next(), { event: 'pusher:cache_miss', channel: 'cache-prices' });
    await server.hub.publish('app', 'cache-prices', { data: '1', event: 'price' });
    await server.hub.publish('app', 'cache-prices', { data: '2', event: 'price' });
    const b = await connect(server);
    await subscribe(b, 'cache-prices');
    assert.deepEqual(await b.raw.next(), { event: 'price', channel: 'cache-prices', data: '2' });
    await closeAll(a, b);
  });
});

describe('pusher: user sign-in', () => {
  it('signs a user in and lets it subscribe to its own server-to-user channel only', async () => {
    const c = await connect(server);
    c.raw.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-7' } });
    assert.equal((await c.raw.next()).data.status, 403);
    const userData = JSON.stringify({ id: '7', name: 'Seven' });
    c.raw.send({
      event: 'pusher:signin',
      data: { auth: signinAuth(c.socketId, userData), user_data: userData },
    });
    const ok = await nextEvent(c.raw);
    assert.equal(ok.event, 'pusher:signin_success');
    assert.equal(ok.data.user_data, userData);
    await subscribe(c, '#server-to-user-7');
    c.raw.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-8' } });
    assert.equal((await c.raw.next()).data.status, 403);
    await closeAll(c);
  });

  it('closes with 4009 on a wrong sign-in signature', async () => {
    const c = await connect(server);
    const userData = JSON.stringify({ id: '7' });
    c.raw.send({
      event: 'pusher:signin',
      data: { auth: `${APP.key}:${'0'.repeat(64)}`, user_data: userData },
    });
    await expectError(c.raw, 4009);
    assert.equal((await c.raw.closed).code, 4009);
  });
});
