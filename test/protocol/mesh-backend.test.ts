import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { post } from '../helpers/http.js';
import { expectRefused } from '../helpers/ws-client.js';
import { Backend, backendUrl, consumer, gatewayClient, KEYS, useMeshServer } from './mesh-fixtures.js';

describe('mesh backend API: auth (docs/protocol/mesh.md)', () => {
  const { server } = useMeshServer();

  it('refuses /ws/v1 without a key, with a wrong key and with another site’s key: HTTP 401 JSON', async () => {
    for (const [query, headers] of [
      ['?site=demo', {}],
      ['?site=demo&key=wrong', {}],
      ['?site=demo', { authorization: 'Bearer wrong' }],
      [`?site=other&key=${KEYS.demo}`, {}],
      [`?key=${KEYS.demo}`, {}],
    ] as const) {
      const refused = await expectRefused(server.wsUrl(`/ws/v1${query}`), headers);
      assert.equal(refused.status, 401, query);
      assert.match(refused.contentType ?? '', /application\/json/);
      assert.equal(typeof refused.json().error, 'string');
    }
  });

  it('refuses an unknown site with 404', async () => {
    const refused = await expectRefused(server.wsUrl(`/ws/v1?site=nope&key=${KEYS.demo}`));
    assert.equal(refused.status, 404);
    assert.match(refused.json().error, /nope/);
  });

  it('accepts a key as a Bearer header, as ?key=, any of the site’s keys, and site default when absent', async () => {
    const viaHeader = await Backend.connect(server.wsUrl('/ws/v1?site=demo'), {
      authorization: `Bearer ${KEYS.demo}`,
    });
    const viaQuery = await Backend.connect(backendUrl(server, 'demo', 'second-demo-key'));
    const viaDefault = await Backend.connect(server.wsUrl(`/ws/v1?key=${KEYS.default}`));
    for (const b of [viaHeader, viaQuery, viaDefault]) {
      assert.deepEqual(await b.request('queue.unpop', {}), { E: null, r: { s: true }, i: 1 });
      await b.close();
    }
  });

  it('refuses the HTTP API without a key, with a wrong key and with another site’s key: 401 JSON', async () => {
    const body = { c: 'room', d: 'x' };
    for (const [path, headers] of [
      ['/v1/mesh/publish?site=demo', {}],
      ['/v1/mesh/publish?site=demo', { authorization: 'Bearer nope' }],
      ['/v1/mesh/send?site=demo&key=nope', {}],
      [`/v1/mesh/publish?site=other&key=${KEYS.demo}`, {}],
      ['/v1/mesh/publish?site=demo', { authorization: `Bearer ${KEYS.other}` }],
    ] as const) {
      const res = await post(`${server.url}${path}`, body, headers);
      assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(typeof res.body.error, 'string');
    }
    const ok = await post(`${server.url}/v1/mesh/publish?site=demo`, body, {
      authorization: `Bearer ${KEYS.demo}`,
    });
    assert.deepEqual(ok.body, { E: null, r: { s: 0, f: 0 } });
  });
});

describe('mesh backend API: envelope over /ws/v1', () => {
  const { backend } = useMeshServer((s) => Backend.connect(backendUrl(s)));

  it('answers the text frame ping with the text frame pong', async () => {
    const before = backend.texts.length;
    backend.sendRaw('ping');
    await backend.until(() => backend.texts.length > before, 'pong');
    assert.equal(backend.texts[before], 'pong');
  });

  it('echoes i as given, number or string, and reads the original protocol’s "id" typo as i', async () => {
    backend.sendRaw(JSON.stringify({ m: 'mesh.publish', p: { c: 'echo', d: 1 }, i: 12345 }));
    assert.deepEqual(await backend.replyTo(12345), { E: null, r: { s: 0, f: 0 }, i: 12345 });
    backend.sendRaw(JSON.stringify({ m: 'mesh.publish', p: { c: 'echo', d: 1 }, i: 'abc' }));
    assert.deepEqual(await backend.replyTo('abc'), { E: null, r: { s: 0, f: 0 }, i: 'abc' });
    backend.sendRaw(JSON.stringify({ m: 'mesh.send', p: { c: '1463786910324359168', d: 'data' }, id: 777 }));
    const typo = await backend.replyTo(777);
    assert.equal(typo.E.c, 401);
    assert.equal('id' in typo, false, 'answered with i, not id');
  });

  it('answers with i null when the request had none', async () => {
    const before = backend.replies.length;
    backend.sendRaw(JSON.stringify({ m: 'queue.unpop', p: {} }));
    await backend.until(() => backend.replies.length > before, 'a reply');
    assert.deepEqual(backend.replies[before], { E: null, r: { s: true }, i: null });
  });

  it('answers invalid JSON, a non-object, an unknown method, bad p and a bad i with 101', async () => {
    const cases: [string, unknown][] = [
      ['{"m": "mesh.send",', null],
      ['[1,2]', null],
      ['"ping?"', null],
      [JSON.stringify({ m: 'mesh.nope', p: {}, i: 5 }), 5],
      [JSON.stringify({ p: {}, i: 6 }), 6],
      [JSON.stringify({ m: 'mesh.send', p: [1], i: 7 }), 7],
      [JSON.stringify({ m: 'mesh.send', p: {}, i: { x: 1 } }), null],
    ];
    for (const [text, id] of cases) {
      const before = backend.replies.length;
      backend.sendRaw(text);
      await backend.until(() => backend.replies.length > before, `the reply to ${text}`);
      const reply = backend.replies[before];
      assert.equal(reply.E.c, 101, text);
      assert.equal(typeof reply.E.m, 'string');
      assert.equal(reply.i, id, text);
      assert.equal('r' in reply, false, 'an error carries no r, as in the original protocol');
    }
  });

  it('keeps the connection open after errors', async () => {
    const reply = await backend.request('queue.unpop', {});
    assert.deepEqual({ E: reply.E, r: reply.r }, { E: null, r: { s: true } });
  });
});

describe('mesh.send and mesh.publish over both transports', () => {
  const auth = { authorization: `Bearer ${KEYS.demo}` };
  const { server, backend } = useMeshServer(consumer);

  it('mesh.send delivers text, JSON (as its text) and binary (base64) as raw frames, over WS and HTTP', async () => {
    const { client, id } = await gatewayClient(server, backend);
    const sent = await backend.request('mesh.send', { c: id, d: 'hello' });
    assert.deepEqual({ E: sent.E, r: sent.r }, { E: null, r: { s: true } });
    assert.deepEqual(await client.nextFrame(), { data: 'hello', binary: false });
    assert.equal((await backend.request('mesh.send', { c: id, d: { a: [1] }, t: 'text' })).E, null);
    assert.deepEqual(await client.nextFrame(), { data: '{"a":[1]}', binary: false });
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    assert.equal(
      (await backend.request('mesh.send', { c: id, d: bytes.toString('base64'), t: 'binary' })).E,
      null,
    );
    const bin = await client.nextFrame();
    assert.equal(bin.binary, true);
    assert.deepEqual(bin.data, bytes);

    const viaHttp = await post(`${server.url}/v1/mesh/send?site=demo`, { c: id, d: 'over http' }, auth);
    assert.equal(viaHttp.status, 200);
    assert.deepEqual(viaHttp.body, { E: null, r: { s: true } });
    assert.deepEqual(await client.nextFrame(), { data: 'over http', binary: false });
    const binHttp = await post(
      `${server.url}/v1/mesh/send?site=demo`,
      { c: id, d: 'AQID', t: 'binary' },
      auth,
    );
    assert.deepEqual(binHttp.body, { E: null, r: { s: true } });
    assert.deepEqual((await client.nextFrame()).data, Buffer.from([1, 2, 3]));
    await client.close();
  });

  it('mesh.send answers 101 for bad params and 401 for an unknown, gone or foreign client', async () => {
    const { client, id } = await gatewayClient(server, backend);
    for (const p of [
      {},
      { c: id },
      { d: 'x' },
      { c: '', d: 'x' },
      { c: 1.5, d: 'x' },
      { c: -2, d: 'x' },
      { c: id, d: 'x', t: 'html' },
      { c: id, d: 'not base64!', t: 'binary' },
      { c: id, d: 42, t: 'binary' },
    ]) {
      assert.equal((await backend.request('mesh.send', p)).E?.c, 101, JSON.stringify(p));
      const http = await post(`${server.url}/v1/mesh/send?site=demo`, p, auth);
      assert.equal(http.body.E?.c, 101, `HTTP ${JSON.stringify(p)}`);
      assert.equal('i' in http.body, false);
    }
    const unknown = await backend.request('mesh.send', { c: '1463786910324359168', d: 'x' });
    assert.equal(unknown.E.c, 401);
    assert.equal((await backend.request('mesh.send', { c: 'not-an-id', d: 'x' })).E.c, 401);
    await client.close();
    await backend.until(
      () => backend.events.some((e) => e.p.c === id && e.p.d.event === 'close'),
      'close item',
    );
    assert.equal((await backend.request('mesh.send', { c: id, d: 'x' })).E.c, 401, 'gone client');
    const http = await post(`${server.url}/v1/mesh/send?site=demo`, { c: id, d: 'x' }, auth);
    assert.equal(http.body.E.c, 401);

    const otherBackend = await consumer(server, ['client'], 'other');
    const foreign = await gatewayClient(server, otherBackend, 'other');
    assert.equal((await backend.request('mesh.send', { c: foreign.id, d: 'x' })).E.c, 401, 'other namespace');
    assert.equal((await backend.request('conn.call', { c: foreign.id, f: 'subscribe', a: ['x'] })).E.c, 301);
    assert.equal(await foreign.client.silentFor(100), true);
    await foreign.client.close();
    await otherBackend.close();
  });

  it('HTTP answers 101 for a body that is not JSON or not an object, 413 past the size limit, 405 for GET', async () => {
    const notJson = await post(`${server.url}/v1/mesh/publish?site=demo`, '{"c":', auth);
    assert.equal(notJson.status, 200);
    assert.equal(notJson.body.E.c, 101);
    const notObject = await post(`${server.url}/v1/mesh/publish?site=demo`, [1, 2], auth);
    assert.equal(notObject.body.E.c, 101);
    const huge = await post(
      `${server.url}/v1/mesh/publish?site=demo`,
      { c: 'x', d: 'y'.repeat(2_000_000) },
      auth,
    );
    assert.equal(huge.status, 413);
    assert.equal(huge.body.E.c, 101);
    const res = await fetch(`${server.url}/v1/mesh/send`, { headers: auth });
    assert.equal(res.status, 405);
    await res.text();
  });

  it('mesh.publish answers 101 for bad params on both transports', async () => {
    for (const p of [
      {},
      { c: 'room' },
      { d: 'x' },
      { c: '', d: 1 },
      { c: 5, d: 1 },
      { c: 'r', d: '%%', t: 'binary' },
    ]) {
      assert.equal((await backend.request('mesh.publish', p)).E?.c, 101, JSON.stringify(p));
      assert.equal((await post(`${server.url}/v1/mesh/publish?site=demo`, p, auth)).body.E?.c, 101);
    }
  });

  it('mesh.publish counts the subscribers it reached, over WS and HTTP', async () => {
    const a = await gatewayClient(server, backend);
    const b = await gatewayClient(server, backend);
    for (const g of [a, b]) {
      const r = await backend.request('conn.call', { c: g.id, f: 'subscribe', a: ['room1'] });
      assert.equal(r.E, null);
    }
    const ws = await backend.request('mesh.publish', { c: 'room1', d: 'to both' });
    assert.deepEqual(ws.r, { s: 2, f: 0 });
    for (const g of [a, b]) assert.deepEqual(await g.client.nextFrame(), { data: 'to both', binary: false });
    const http = await post(`${server.url}/v1/mesh/publish?site=demo`, { c: 'room1', d: { n: 1 } }, auth);
    assert.deepEqual(http.body, { E: null, r: { s: 2, f: 0 } });
    for (const g of [a, b]) assert.deepEqual(await g.client.nextFrame(), { data: '{"n":1}', binary: false });
    const other = await post(
      `${server.url}/v1/mesh/publish?site=default`,
      { c: 'room1', d: 1 },
      {
        authorization: `Bearer ${KEYS.default}`,
      },
    );
    assert.deepEqual(other.body.r, { s: 0, f: 0 }, 'same channel name, other namespace: nobody');
    await a.client.close();
    await b.client.close();
  });
});
