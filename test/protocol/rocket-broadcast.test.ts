// Rocket (docs/protocol/rocket.md) broadcast: fan-out, the sender's order, existing channels, and broadcasts as
// publications of the one hub (history, other dialects).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { get } from '../helpers/http.js';
import { RawClient } from '../helpers/ws-client.js';
import {
  APP_KEY,
  closeAll,
  connect,
  connectAs,
  expectErr,
  subscribe,
  useRocketServer,
} from './rocket-fixtures.js';

const server = useRocketServer();

describe('rocket: broadcast', () => {
  it('reaches every subscriber, the sender too, with the payload itself; then broadcasted', async () => {
    const sender = await connectAs(server, 'writer');
    const readers = [
      await connectAs(server, 'reader'),
      await connectAs(server, 'reader'),
      await connectAs(server, 'open'),
    ];
    const bystander = await connectAs(server, 'reader');
    await subscribe(sender, 'world');
    for (const r of readers) await subscribe(r, 'world');
    await subscribe(bystander, 'elsewhere');

    sender.send({ broadcast: { event: 'hello', channel: 'world', data: { x: 1 } } });
    const payload = { event: 'hello', channel: 'world', data: { x: 1 } };
    // The sender's order is fixed by the original protocol: the payload first, then the confirmation.
    assert.deepEqual(await sender.next(), payload);
    assert.deepEqual(await sender.next(), { broadcasted: 'world' });
    for (const r of readers) assert.deepEqual(await r.next(), payload);
    assert.ok(await bystander.silentFor(100));
    await closeAll(sender, ...readers, bystander);
  });

  it('a sender not subscribed gets only broadcasted; data defaults to null', async () => {
    const reader = await connectAs(server, 'reader');
    await subscribe(reader, 'no-data');
    const sender = await connectAs(server, 'writer');
    sender.send({ broadcast: { event: 'ping', channel: 'no-data' } });
    assert.deepEqual(await sender.next(), { broadcasted: 'no-data' });
    assert.deepEqual(await reader.next(), { event: 'ping', channel: 'no-data', data: null });
    assert.ok(await sender.silentFor(100));
    await closeAll(reader, sender);
  });

  it('keeps order across many broadcasts of one sender', async () => {
    const sender = await connectAs(server, 'writer');
    const reader = await connectAs(server, 'reader');
    await subscribe(sender, 'burst');
    await subscribe(reader, 'burst');
    for (let i = 0; i < 30; i++) sender.send({ broadcast: { event: 'n', channel: 'burst', data: i } });
    for (let i = 0; i < 30; i++) {
      assert.deepEqual(await sender.next(), { event: 'n', channel: 'burst', data: i });
      assert.deepEqual(await sender.next(), { broadcasted: 'burst' });
      assert.deepEqual(await reader.next(), { event: 'n', channel: 'burst', data: i });
    }
    await closeAll(sender, reader);
  });

  it('checks ACCESS_DENIED → INVALID_PAYLOAD → INVALID_EVENT_NAME → INVALID_CHANNEL_NAME → CHANNEL_NOT_FOUND', async () => {
    const c = await connect(server);
    c.send({ broadcast: 'hello' });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ broadcast: {} });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ authenticate: { user: 'reader', secret: 'r' } });
    await c.next();
    c.send({ broadcast: 'hello' });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ broadcast: { event: 'e', channel: 'world' } });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ authenticate: { user: 'writer', secret: 'w' } });
    await c.next();
    c.send({ broadcast: 'hello' });
    await expectErr(c, 'INVALID_PAYLOAD');
    c.send({ broadcast: { channel: '' } });
    await expectErr(c, 'INVALID_EVENT_NAME');
    c.send({ broadcast: { event: '', channel: 'world' } });
    await expectErr(c, 'INVALID_EVENT_NAME');
    c.send({ broadcast: { event: 'e' } });
    await expectErr(c, 'INVALID_CHANNEL_NAME');
    c.send({ broadcast: { event: 'e', channel: 'never-seen' } });
    await expectErr(c, 'CHANNEL_NOT_FOUND');
    await c.close();
  });

  it('a WRITE-only user may broadcast to an existing channel without reading it', async () => {
    const reader = await connectAs(server, 'reader');
    await subscribe(reader, 'write-only');
    const pusher = await connectAs(server, 'pusher');
    pusher.send({ broadcast: { event: 'e', channel: 'write-only', data: 'w' } });
    assert.deepEqual(await pusher.next(), { broadcasted: 'write-only' });
    assert.deepEqual(await reader.next(), { event: 'e', channel: 'write-only', data: 'w' });
    await closeAll(reader, pusher);
  });

  it('a channel exists once subscribed, even after its subscribers left, or once published to', async () => {
    const writer = await connectAs(server, 'writer');
    writer.send({ broadcast: { event: 'e', channel: 'created-later' } });
    await expectErr(writer, 'CHANNEL_NOT_FOUND');
    const reader = await connectAs(server, 'reader');
    await subscribe(reader, 'created-later');
    reader.send({ unsubscribe: { channel: 'created-later' } });
    assert.deepEqual(await reader.next(), { unsubscribed: 'created-later' });
    writer.send({ broadcast: { event: 'e', channel: 'created-later' } });
    assert.deepEqual(await writer.next(), { broadcasted: 'created-later' });

    // Published to by a backend (any dialect): it exists too.
    await server.hub.publish('app', 'from-backend', { data: 'x' });
    writer.send({ broadcast: { event: 'e', channel: 'from-backend' } });
    assert.deepEqual(await writer.next(), { broadcasted: 'from-backend' });
    await closeAll(writer, reader);
  });
});

describe('rocket: broadcasts are publications of the hub', () => {
  it('enter the channel history with event and sender', async () => {
    const writer = await connectAs(server, 'writer');
    await subscribe(writer, 'logged');
    writer.send({ broadcast: { event: 'note', channel: 'logged', data: [1, 2] } });
    await writer.next();
    assert.deepEqual(await writer.next(), { broadcasted: 'logged' });
    const { publications } = await server.hub.history('app', 'logged', { last: 10 });
    assert.equal(publications.length, 1);
    const p = publications[0]!;
    assert.deepEqual([p.event, p.sender, p.data], ['note', 'writer', [1, 2]]);
    await writer.close();
  });

  it('reach a site subscriber of the same namespace in the site shape', async () => {
    const tokenRes = await get(`${server.url}/token?site=app`);
    assert.equal(tokenRes.status, 200);
    const token: string = tokenRes.body.token;
    const auth = createHmac('sha256', 'app-site-secret').update(`mixed${token}`).digest('base64');
    const site = await RawClient.connect(server.wsUrl('/ws?site=app'));
    site.send({ request: 'subscribe', req_id: '1', body: { channel: 'mixed', after: 0, token, auth } });
    assert.equal((await site.next()).response, 'ok');

    const writer = await connectAs(server, 'writer');
    await subscribe(writer, 'mixed');
    writer.send({ broadcast: { event: 'e', channel: 'mixed', data: { hi: 'site' } } });
    await writer.next();
    await writer.next();
    const message = await site.next();
    assert.equal(message.message, 'mixed');
    assert.deepEqual(message.body, { hi: 'site' });
    assert.equal(typeof message.ord, 'number');
    await closeAll(site, writer);
  });

  it('publications of other dialects reach rocket subscribers as event "message"', async () => {
    const reader = await connectAs(server, 'reader');
    await subscribe(reader, 'from-mesh');
    const backend = await RawClient.connect(server.wsUrl('/ws/v1?site=app'), {
      headers: { authorization: `Bearer ${APP_KEY}` },
    });
    backend.send({ m: 'mesh.publish', p: { c: 'from-mesh', d: { text: 'hi' } }, i: 1 });
    assert.deepEqual(await reader.next(), { event: 'message', channel: 'from-mesh', data: { text: 'hi' } });
    const reply = await backend.next();
    assert.equal(reply.E, null);
    assert.equal(reply.r.s, 1);
    // Binary publications travel as base64 text.
    backend.send({ m: 'mesh.publish', p: { c: 'from-mesh', d: 'AQL/', t: 'binary' }, i: 2 });
    assert.deepEqual(await reader.next(), { event: 'message', channel: 'from-mesh', data: 'AQL/' });
    await closeAll(reader, backend);
  });
});
