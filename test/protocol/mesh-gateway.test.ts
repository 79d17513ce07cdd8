import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { get, post } from '../helpers/http.js';
import { limitHits } from '../helpers/metrics.js';
import { startTestServer } from '../helpers/server.js';
import { expectRefused, RawClient } from '../helpers/ws-client.js';
import { consumer, gatewayClient, KEYS, useMeshServer } from './mesh-fixtures.js';

describe('mesh gateway clients on /client', () => {
  const { server, backend } = useMeshServer(consumer);

  it('pushes handshake (every header, lower-cased), message and close items to the client topic', async () => {
    const { client, id, handshake } = await gatewayClient(server, backend, 'demo', {
      'X-Session-Token': 'tok-1',
      Cookie: 'sid=abc',
    });
    assert.equal(handshake.e, 'queue.pop');
    assert.equal(handshake.id, null);
    assert.equal(handshake.p.n, server.hub.nodeId);
    assert.match(handshake.p.c, /^\d+$/);
    assert.equal(handshake.p.t, 'clients', "the namespace's client_topic");
    assert.equal(handshake.p.d.event, 'handshake');
    assert.equal(handshake.p.d.headers['x-session-token'], 'tok-1');
    assert.equal(handshake.p.d.headers.cookie, 'sid=abc');
    assert.equal(handshake.p.d.headers['sec-websocket-version'], '13');
    for (const name of Object.keys(handshake.p.d.headers)) assert.equal(name, name.toLowerCase());

    client.send('{"hello":1}');
    client.sendBinary(Buffer.from([0, 255, 7]));
    await client.close();
    const items = (await backend.itemsOf(id, 4)).slice(1);
    assert.deepEqual(items, [
      { event: 'message', frame: { type: 'text', data: '{"hello":1}', finish: true }, context: {} },
      {
        event: 'message',
        frame: { type: 'binary', data: Buffer.from([0, 255, 7]).toString('base64'), finish: true },
        context: {},
      },
      { event: 'close', context: {} },
    ]);
  });

  it('puts the context set by conn.call on the next items, close included', async () => {
    const { client, id } = await gatewayClient(server, backend);
    const set = await backend.request('conn.call', { c: id, f: 'set_context_value', a: ['user_id', 10000] });
    assert.deepEqual({ E: set.E, r: set.r }, { E: null, r: { s: true } });
    client.send('after set_context_value');
    assert.deepEqual((await backend.itemsOf(id, 2))[1].context, { user_id: 10000 });

    assert.equal(
      (await backend.request('conn.call', { c: id, f: 'set_context', a: [{ room: 'r1' }] })).E,
      null,
    );
    client.send('after set_context');
    assert.deepEqual(
      (await backend.itemsOf(id, 3))[2].context,
      { room: 'r1' },
      'set_context replaces the context',
    );

    await client.close();
    assert.deepEqual((await backend.itemsOf(id, 4))[3], { event: 'close', context: { room: 'r1' } });
  });

  it('conn.call answers 101 for an unknown function or bad arguments, 301 for an unknown client', async () => {
    const { client, id } = await gatewayClient(server, backend);
    for (const p of [
      { c: id, f: 'explode', a: [] },
      { c: id, f: 'set_context_value', a: ['only-key'] },
      { c: id, f: 'set_context', a: ['not an object'] },
      { c: id, f: 'subscribe', a: [] },
      { c: id, f: 'unsubscribe', a: [3] },
      { c: id, f: 'subscribe' },
      { c: id, a: ['x'] },
      { f: 'subscribe', a: ['x'] },
    ]) {
      assert.equal((await backend.request('conn.call', p)).E?.c, 101, JSON.stringify(p));
    }
    const unknown = await backend.request('conn.call', {
      c: '1463784730422935552',
      f: 'subscribe',
      a: ['x'],
    });
    assert.equal(unknown.E.c, 301);
    assert.equal((await backend.request('conn.call', { c: 'garbage', f: 'subscribe', a: ['x'] })).E.c, 301);
    await client.close();
  });

  it('delivers publications of channels it was subscribed to by conn.call as raw frames, until unsubscribed', async () => {
    const { client, id } = await gatewayClient(server, backend);
    const sub = await backend.request('conn.call', { c: id, f: 'subscribe', a: ['news', 'sport'] });
    assert.equal(sub.E, null);
    assert.deepEqual((await backend.request('mesh.publish', { c: 'news', d: 'headline' })).r, { s: 1, f: 0 });
    assert.deepEqual(await client.nextFrame(), { data: 'headline', binary: false });
    assert.deepEqual((await backend.request('mesh.publish', { c: 'sport', d: [1, { x: null }] })).r, {
      s: 1,
      f: 0,
    });
    assert.deepEqual(await client.nextFrame(), { data: '[1,{"x":null}]', binary: false });
    const bytes = Buffer.from('binary \u00ff', 'utf8');
    const bin = await backend.request('mesh.publish', {
      c: 'news',
      d: bytes.toString('base64'),
      t: 'binary',
    });
    assert.deepEqual(bin.r, { s: 1, f: 0 });
    const frame = await client.nextFrame();
    assert.equal(frame.binary, true);
    assert.deepEqual(frame.data, bytes);

    assert.equal((await backend.request('conn.call', { c: id, f: 'unsubscribe', a: ['news'] })).E, null);
    assert.deepEqual((await backend.request('mesh.publish', { c: 'news', d: 'missed' })).r, { s: 0, f: 0 });
    assert.deepEqual((await backend.request('mesh.publish', { c: 'sport', d: 'still here' })).r, {
      s: 1,
      f: 0,
    });
    assert.deepEqual(await client.nextFrame(), { data: 'still here', binary: false });
    assert.equal(await client.silentFor(100), true);
    await client.close();
  });

  it('uses namespace default without ?site=, and refuses an unknown site with 404', async () => {
    const defaultBackend = await consumer(server, ['client'], 'default');
    const plain = await RawClient.connect(server.wsUrl('/client'));
    const [handshake] = await defaultBackend.items(1);
    assert.equal(handshake.event, 'handshake');
    assert.equal(defaultBackend.events[0].p.t, 'client', 'default client_topic');
    await plain.close();
    await defaultBackend.close();
    const refused = await expectRefused(server.wsUrl('/client?site=nope'));
    assert.equal(refused.status, 404);
    assert.match(refused.json().error, /nope/);
  });
});

describe('mesh gateway without a default namespace', () => {
  it('refuses /client without ?site= with 404 and says how to fix it', async () => {
    const server = await startTestServer({ namespaces: { demo: { api_keys: ['k'] } } });
    try {
      const refused = await expectRefused(server.wsUrl('/client'));
      assert.equal(refused.status, 404);
      assert.match(refused.json().error, /configure a "default" namespace/);
      const res = await post(
        `${server.url}/v1/mesh/publish`,
        { c: 'x', d: 1 },
        { authorization: 'Bearer k' },
      );
      assert.equal(res.status, 404);
    } finally {
      await server.close();
    }
  });
});

describe('mesh gateway on a namespace no backend can consume', () => {
  it('refuses /client with 403 before the upgrade where there is no API key and no trusted network, the chat namespace included', async () => {
    const server = await startTestServer({
      namespaces: {
        siteonly: { secret: 's', post_secret: 'p' },
        keyed: { api_keys: ['k'] },
        trusted: { trusted_networks: ['10.0.0.0/8'] },
      },
    });
    try {
      for (const site of ['siteonly', 'chat']) {
        const refused = await expectRefused(server.wsUrl(`/client?site=${site}`));
        assert.equal(refused.status, 403, site);
        assert.match(refused.json().error, new RegExp(`site "${site}" takes no gateway clients.*api_keys`));
      }
      assert.equal(await limitHits(server.url, 'gateway_without_backend'), 2);
      // A namespace with a key, or with a trusted network (even one this client is not in), can
      // have a backend: its gateway clients are let in.
      for (const site of ['keyed', 'trusted']) {
        const client = await RawClient.connect(server.wsUrl(`/client?site=${site}`));
        await client.close();
      }
      assert.deepEqual(
        (await server.hub.queueStats('siteonly')).map((t) => t.depth),
        [],
        'nothing was queued for the refused clients',
      );
    } finally {
      await server.close();
    }
  });
});

describe('mesh gateway traffic nobody consumes yet', () => {
  it('holds at most topic_bytes of it: the oldest items go, counted as topic_bytes', async () => {
    const server = await startTestServer({ namespaces: { demo: { api_keys: ['k'], topic_bytes: 20_000 } } });
    try {
      const client = await RawClient.connect(server.wsUrl('/client?site=demo'));
      for (let i = 0; i < 10; i++) client.send(`${i}`.padEnd(5000, '.'));
      const held = async () => (await server.hub.queueStats('demo')).find((t) => t.topic === 'client');
      const deadline = Date.now() + 5000;
      while ((await limitHits(server.url, 'topic_bytes')) < 8 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const topic = await held();
      assert.ok(topic && topic.bytes <= 20_000, `bytes held: ${topic?.bytes}`);
      assert.equal(topic.depth, 3, 'three 5 KB frames fit in 20,000 bytes');
      // handshake + 10 frames = 11 items, 3 kept: 8 dropped for their bytes
      assert.equal(await limitHits(server.url, 'topic_bytes'), 8);
      assert.equal(topic.dropped, 8);
      await client.close();
    } finally {
      await server.close();
    }
  });
});

describe('mesh and the other dialects: one hub', () => {
  const { server, backend } = useMeshServer(consumer);

  async function siteSubscribe(channel: string, after: number): Promise<RawClient> {
    const { body } = await get(`${server.url}/token?site=demo`);
    const auth = createHmac('sha256', 'site-secret')
      .update(channel + body.token)
      .digest('base64');
    const client = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    client.send({ request: 'subscribe', req_id: 's1', body: { channel, after, token: body.token, auth } });
    assert.deepEqual(await client.next(), { response: 'ok', req_id: 's1', body: null });
    return client;
  }

  it('mesh.publish enters history: a site subscriber resuming with after gets what it missed', async () => {
    const auth = { authorization: `Bearer ${KEYS.demo}` };
    const live = await siteSubscribe('feed', 0);
    assert.deepEqual(
      (await post(`${server.url}/v1/mesh/publish?site=demo`, { c: 'feed', d: { n: 1 } }, auth)).body.r,
      {
        s: 1,
        f: 0,
      },
    );
    const first = await live.next();
    assert.deepEqual(first.body, { n: 1 });
    await live.close();
    await backend.request('mesh.publish', { c: 'feed', d: 'two' });
    await post(`${server.url}/v1/mesh/publish?site=demo`, { c: 'feed', d: 3 }, auth);
    const resumed = await siteSubscribe('feed', first.ord);
    assert.deepEqual(await resumed.next(), { message: 'feed', ord: first.ord + 1, body: 'two' });
    assert.deepEqual(await resumed.next(), { message: 'feed', ord: first.ord + 2, body: 3 });
    await resumed.close();
  });

  it('conn.call works on a site connection: context and subscriptions', async () => {
    const client = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    const conn = [...server.hub.localConnections()].find((c) => c.dialect === 'site')!;
    assert.ok(conn, 'the site connection is registered');
    const set = await backend.request('conn.call', {
      c: conn.id,
      f: 'set_context_value',
      a: ['user_id', 'u7'],
    });
    assert.equal(set.E, null);
    assert.deepEqual(conn.context, { user_id: 'u7' });
    assert.equal((await backend.request('conn.call', { c: conn.id, f: 'subscribe', a: ['pushed'] })).E, null);
    assert.deepEqual((await backend.request('mesh.publish', { c: 'pushed', d: { hi: true } })).r, {
      s: 1,
      f: 0,
    });
    const msg = await client.next();
    assert.equal(msg.message, 'pushed');
    assert.deepEqual(msg.body, { hi: true });
    await client.close();
  });
});
