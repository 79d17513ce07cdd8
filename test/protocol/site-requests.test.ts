import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RawClient } from '../helpers/ws-client.js';
import {
  connectSite,
  fetchToken,
  postMessage,
  startSiteServer,
  subAuth,
  subscribe,
  useSiteServer,
} from './site-fixtures.js';

describe('site: request envelope, unsubscribe and bad input', () => {
  const { server, open } = useSiteServer();

  /** The connection still works: a correct subscribe is answered ok. */
  async function stillServes(c: RawClient): Promise<void> {
    const channel = `alive-${Math.random().toString(36).slice(2)}`;
    assert.deepEqual(await subscribe(server, c, channel, { reqId: 'alive' }), {
      response: 'ok',
      req_id: 'alive',
      body: null,
    });
  }

  it('unsubscribe answers ok null, and no message arrives after it', async () => {
    const c = await open();
    assert.equal((await subscribe(server, c, 'unsub')).response, 'ok');
    await postMessage(server, 'unsub', 'before');
    assert.equal((await c.next()).body, 'before');
    c.send({ request: 'unsubscribe', req_id: 'u', body: { channel: 'unsub' } });
    assert.deepEqual(await c.next(), { response: 'ok', req_id: 'u', body: null });
    await postMessage(server, 'unsub', 'after');
    assert.equal(await c.silentFor(200), true);
  });

  it('unsubscribe from a channel not subscribed to is an error', async () => {
    const c = await open();
    c.send({ request: 'unsubscribe', req_id: 'n', body: { channel: 'never' } });
    assert.deepEqual(await c.next(), {
      response: 'error',
      req_id: 'n',
      body: 'not subscribed to channel never',
    });
    c.send({ request: 'unsubscribe', body: { channel: 'never' } });
    assert.deepEqual(await c.next(), { response: 'error', body: 'not subscribed to channel never' });
    await stillServes(c);
  });

  it('answers invalid JSON with an error without req_id and stays open', async () => {
    const c = await open();
    for (const frame of ['{', 'hello', '{"request":"subscribe","req_id":"1",}', '']) {
      c.send(frame);
      assert.deepEqual(await c.next(), { response: 'error', body: 'request is not valid JSON' }, frame);
    }
    await stillServes(c);
  });

  it('answers JSON that is not a request object', async () => {
    const c = await open();
    for (const frame of ['[]', 'null', '42', '"subscribe"']) {
      c.send(frame);
      assert.deepEqual(await c.next(), { response: 'error', body: 'request must be a JSON object' });
    }
    c.send({ req_id: 'm', body: {} });
    assert.deepEqual(await c.next(), { response: 'error', req_id: 'm', body: 'request is missing' });
    await stillServes(c);
  });

  it('answers an unknown request with "unknown request", echoing req_id', async () => {
    const c = await open();
    c.send({ request: 'publish', req_id: 'p1', body: { channel: 'x' } });
    assert.deepEqual(await c.next(), { response: 'error', req_id: 'p1', body: 'unknown request' });
    c.send({ request: 'ping' });
    assert.deepEqual(await c.next(), { response: 'error', body: 'unknown request' });
    await stillServes(c);
  });

  it('echoes req_id exactly as given, and only when given', async () => {
    const c = await open();
    for (const id of ['32r2', '', '  x  ', 'юникод', '{"a":1}']) {
      const res = await subscribe(server, c, `echo-${Buffer.from(id).toString('hex')}`, { reqId: id });
      assert.deepEqual(res, { response: 'ok', req_id: id, body: null });
    }
    const without = await subscribe(server, c, 'echo-none');
    assert.deepEqual(without, { response: 'ok', body: null });
    assert.ok(!('req_id' in without));
    c.send({ request: 'unsubscribe', req_id: 7, body: { channel: 'echo-none' } });
    assert.deepEqual(await c.next(), { response: 'error', req_id: 7, body: 'req_id must be a string' });
  });

  it('answers in request order when requests are pipelined', async () => {
    const c = await open();
    const token = await fetchToken(server);
    for (let i = 0; i < 20; i++) {
      const channel = `pipe-${i}`;
      c.send({
        request: 'subscribe',
        req_id: `s${i}`,
        body: { channel, token, auth: subAuth('site-secret', channel, token) },
      });
      c.send({ request: 'unsubscribe', req_id: `u${i}`, body: { channel } });
    }
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(await c.next(), { response: 'ok', req_id: `s${i}`, body: null });
      assert.deepEqual(await c.next(), { response: 'ok', req_id: `u${i}`, body: null });
    }
  });

  it('answers missing or wrong-typed subscribe fields with a clear error', async () => {
    const c = await open();
    const token = await fetchToken(server);
    const auth = subAuth('site-secret', 'f', token);
    const cases: [unknown, RegExp][] = [
      [undefined, /^subscribe body must be an object with channel, after, token and auth$/],
      ['f', /^subscribe body must be an object/],
      [{ after: 0, token, auth }, /^body\.channel must be a non-empty string$/],
      [{ channel: '', token, auth }, /^body\.channel/],
      [{ channel: 'f', after: 'latest', token, auth }, /^body\.after must be an integer/],
      [{ channel: 'f', after: -5, token, auth }, /^body\.after/],
      [{ channel: 'f', after: 2.5, token, auth }, /^body\.after/],
      [{ channel: 'f', auth }, /^body\.token must be a non-empty string/],
      [{ channel: 'f', token }, /^body\.auth must be a non-empty string/],
      [{ channel: 'f', token: 1, auth }, /^body\.token/],
    ];
    for (const [body, message] of cases) {
      c.send({ request: 'subscribe', req_id: 'f', body });
      const res = await c.next();
      assert.equal(res.response, 'error', JSON.stringify(body));
      assert.equal(res.req_id, 'f');
      assert.match(res.body, message);
    }
    c.send({ request: 'unsubscribe', body: {} });
    assert.deepEqual(await c.next(), { response: 'error', body: 'body.channel must be a non-empty string' });
    await stillServes(c);
  });

  it('refuses binary frames with an error and stays open', async () => {
    const c = await open();
    c.sendBinary(Buffer.from(JSON.stringify({ request: 'subscribe', req_id: 'b', body: {} })));
    const res = await c.nextFrame();
    assert.equal(res.binary, false);
    assert.deepEqual(JSON.parse(res.data.toString()), {
      response: 'error',
      body: 'binary frames are not accepted: send each request as a JSON text frame',
    });
    await stillServes(c);
  });

  it('sends every frame as text: responses and channel messages', async () => {
    const c = await open();
    assert.equal((await subscribe(server, c, 'texty')).response, 'ok');
    await postMessage(server, 'texty', [1, 2, 3]);
    const frame = await c.nextFrame();
    assert.equal(frame.binary, false);
    assert.deepEqual(JSON.parse(frame.data.toString()).body, [1, 2, 3]);
  });

  it('renders a binary publication (e.g. from mesh) with a base64 body', async () => {
    const c = await open();
    assert.equal((await subscribe(server, c, 'bin')).response, 'ok');
    await server.hub.publish('demo', 'bin', { data: Buffer.from([0xde, 0xad, 0xbe, 0xef]) });
    const msg = await c.next();
    assert.equal(msg.message, 'bin');
    assert.equal(msg.body, '3q2+7w==');
  });
});

describe('site: inbound rate', () => {
  it('answers requests past the burst with "rate limit exceeded", in order, and stays open', async () => {
    const server = await startSiteServer({ limits: { max_messages_per_second: 1, max_messages_burst: 3 } });
    const c = await connectSite(server);
    try {
      for (let i = 0; i < 5; i++) c.send({ request: 'nope', req_id: `r${i}` });
      for (let i = 0; i < 3; i++)
        assert.deepEqual(await c.next(), { response: 'error', req_id: `r${i}`, body: 'unknown request' });
      for (let i = 3; i < 5; i++) {
        assert.deepEqual(await c.next(), {
          response: 'error',
          req_id: `r${i}`,
          body: 'rate limit exceeded: slow down',
        });
      }
      assert.equal(c.ws.readyState, c.ws.OPEN);
    } finally {
      await c.close();
      await server.close();
    }
  });
});
