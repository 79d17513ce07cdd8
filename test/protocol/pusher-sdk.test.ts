// The HTTP API driven by the official `pusher` Node server SDK (npm `pusher`): triggers to one and
// several channels, batches, socket_id exclusion, channel and user queries, terminate_connections,
// and requests the SDK would never sign correctly (wrong secret, old timestamp, tampered body).
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import Pusher from 'pusher';
import {
  APP,
  closeAll,
  connect,
  nextEvent,
  signinAuth,
  subscribe,
  usePusherServer,
} from './pusher-fixtures.js';

const server = usePusherServer();

function sdk(secret = APP.secret): Pusher {
  const { hostname, port } = new URL(server.url);
  return new Pusher({ appId: APP.app_id, key: APP.key, secret, host: hostname, port, useTLS: false });
}

/** A request signed by hand, for what the SDK refuses to produce. */
function signedUrl(
  method: string,
  path: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  const params: Record<string, string> = {
    auth_key: APP.key,
    auth_timestamp: String(timestamp),
    auth_version: '1.0',
  };
  if (body) params.body_md5 = createHash('md5').update(body).digest('hex');
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const sig = createHmac('sha256', APP.secret).update(`${method}\n${path}\n${query}`).digest('hex');
  return `${server.url}${path}?${query}&auth_signature=${sig}`;
}

describe('pusher HTTP API with the pusher SDK', () => {
  it('triggers to one channel and to several, each subscriber getting data as sent', async () => {
    const a = await connect(server);
    const b = await connect(server);
    await subscribe(a, 'orders');
    await subscribe(b, 'private-audit');
    const res = await sdk().trigger('orders', 'created', { id: 1 });
    assert.equal(res.status, 200);
    assert.deepEqual(await a.raw.next(), { event: 'created', channel: 'orders', data: '{"id":1}' });
    await sdk().trigger(['orders', 'private-audit'], 'both', 'text');
    assert.deepEqual(await a.raw.next(), { event: 'both', channel: 'orders', data: 'text' });
    assert.deepEqual(await b.raw.next(), { event: 'both', channel: 'private-audit', data: 'text' });
    await closeAll(a, b);
  });

  it('leaves out the connection named by socket_id', async () => {
    const a = await connect(server);
    const b = await connect(server);
    await subscribe(a, 'excl');
    await subscribe(b, 'excl');
    await sdk().trigger('excl', 'e', 'x', { socket_id: a.socketId });
    assert.equal((await b.raw.next()).data, 'x');
    assert.equal(await a.raw.silentFor(150), true);
    await closeAll(a, b);
  });

  it('triggers a batch in order and answers channel info when asked', async () => {
    const a = await connect(server);
    await subscribe(a, 'batch-1');
    const res = await sdk().triggerBatch([
      { channel: 'batch-1', name: 'one', data: '1' },
      { channel: 'batch-1', name: 'two', data: '2', info: 'subscription_count' },
    ]);
    assert.deepEqual(await res.json(), { batch: [{}, { subscription_count: 1 }] });
    assert.equal((await a.raw.next()).event, 'one');
    assert.equal((await a.raw.next()).event, 'two');
    await closeAll(a);
  });

  it('lists occupied channels with counts, by prefix, and one channel', async () => {
    const a = await connect(server);
    const b = await connect(server);
    await subscribe(a, 'list-x');
    await subscribe(b, 'list-x');
    await subscribe(b, 'other-y');
    const all = await (await sdk().get({ path: '/channels', params: { info: 'subscription_count' } })).json();
    assert.equal(all.channels['list-x'].subscription_count, 2);
    assert.equal(all.channels['other-y'].subscription_count, 1);
    const some = await (await sdk().get({ path: '/channels', params: { filter_by_prefix: 'list-' } })).json();
    assert.deepEqual(some, { channels: { 'list-x': {} } });
    const one = await (
      await sdk().get({ path: '/channels/list-x', params: { info: 'subscription_count' } })
    ).json();
    assert.deepEqual(one, { occupied: true, subscription_count: 2 });
    const none = await (await sdk().get({ path: '/channels/empty' })).json();
    assert.deepEqual(none, { occupied: false });
    await closeAll(a, b);
  });

  it('lists presence users and terminates a user’s connections', async () => {
    const a = await connect(server);
    const b = await connect(server);
    await subscribe(a, 'presence-lobby', { user_id: 'u1', user_info: { name: 'One' } });
    await subscribe(b, 'presence-lobby', { user_id: 'u2' });
    const users = await (await sdk().get({ path: '/channels/presence-lobby/users' })).json();
    assert.deepEqual(users.users.map((u: { id: string }) => u.id).sort(), ['u1', 'u2']);
    const info = await (
      await sdk().get({ path: '/channels/presence-lobby', params: { info: 'user_count,subscription_count' } })
    ).json();
    assert.deepEqual(info, { occupied: true, subscription_count: 2, user_count: 2 });
    // u1's member_added reached b? b joined second, so a heard of b.
    assert.equal((await nextEvent(a.raw)).event, 'pusher_internal:member_added');
    // terminate_connections closes the signed-in user's connections only.
    const userData = JSON.stringify({ id: 'u2' });
    b.raw.send({
      event: 'pusher:signin',
      data: { auth: signinAuth(b.socketId, userData), user_data: userData },
    });
    assert.equal((await b.raw.next()).event, 'pusher:signin_success');
    await sdk().terminateUserConnections('u2');
    assert.equal((await b.raw.closed).code, 4009);
    const left = await nextEvent(a.raw);
    assert.deepEqual(left, {
      event: 'pusher_internal:member_removed',
      channel: 'presence-lobby',
      data: { user_id: 'u2' },
    });
    await closeAll(a);
  });

  it('refuses wrong signatures, stale timestamps and tampered bodies with 401 and a text reason', async () => {
    await assert.rejects(sdk('wrong-secret').trigger('x', 'e', 'd'), (err: any) => {
      assert.equal(err.status, 401);
      assert.match(err.body, /signature/i);
      return true;
    });
    const body = JSON.stringify({ name: 'e', channel: 'x', data: 'd' });
    const stale = await fetch(signedUrl('POST', `/apps/${APP.app_id}/events`, body, 1000), {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(stale.status, 401);
    assert.match(await stale.text(), /timestamp/i);
    const tampered = await fetch(signedUrl('POST', `/apps/${APP.app_id}/events`, body), {
      method: 'POST',
      body: body.replace('"d"', '"D"'),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(tampered.status, 401);
    assert.match(await tampered.text(), /body_md5/);
  });

  it('answers bad requests with 400 and Pusher’s limits', async () => {
    const post = async (body: unknown) => {
      const text = JSON.stringify(body);
      const res = await fetch(signedUrl('POST', `/apps/${APP.app_id}/events`, text), {
        method: 'POST',
        body: text,
      });
      return { status: res.status, text: await res.text() };
    };
    assert.equal((await post({ name: 'e', channel: 'x', data: { not: 'a string' } })).status, 400);
    assert.equal((await post({ name: 'e', data: 'd' })).status, 400);
    assert.equal((await post({ name: '', channel: 'x', data: 'd' })).status, 400);
    assert.equal((await post({ name: 'e', channel: 'bad name', data: 'd' })).status, 400);
    const many = Array.from({ length: 101 }, (_, i) => `c${i}`);
    assert.equal((await post({ name: 'e', channels: many, data: 'd' })).status, 400);
    assert.equal((await post({ name: 'e', channel: 'x', data: 'x'.repeat(10241) })).status, 413);
    const unknown = await fetch(`${server.url}/apps/9999/events`, { method: 'POST', body: '{}' });
    assert.equal(unknown.status, 404);
    const userCount = await sdk()
      .get({ path: '/channels', params: { info: 'user_count' } })
      .catch((e) => e);
    assert.equal(userCount.status, 400);
  });
});
