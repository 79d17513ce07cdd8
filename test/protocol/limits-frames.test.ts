import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { post } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const NS = {
  demo: {
    secret: 'site-secret',
    post_secret: 'post-secret',
    api_keys: ['k'],
    rocket: { path: '/app', users: { reader: { secret: 'r', permissions: ['READ'] } } },
  },
};

describe('limits: inbound frame size', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer({ namespaces: NS });
  });
  after(() => server.close());

  it('closes a connection that sends a frame over 64 KiB with 1009; others keep working', async () => {
    const url = server.wsUrl('/ws?site=demo');
    const bystander = await RawClient.connect(url);
    const big = await RawClient.connect(url);
    big.send('x'.repeat(64 * 1024 + 1));
    const closed = await big.closed;
    assert.equal(closed.code, 1009);

    // The bystander is still served: a bad request is answered in the site's error shape.
    bystander.send('{"request":"nope"}');
    const answer = await bystander.next();
    assert.equal(answer.response, 'error');
    await bystander.close();
  });

  it('applies to every dialect, mesh backends included', async () => {
    const paths = [
      '/ws?site=demo',
      '/ws?username=big',
      '/client?site=demo',
      '/ws/v1?site=demo&key=k',
      '/app',
    ];
    for (const path of paths) {
      const c = await RawClient.connect(server.wsUrl(path));
      c.send('x'.repeat(64 * 1024 + 1));
      assert.equal((await c.closed).code, 1009, path);
    }
  });

  it('accepts a frame of exactly 64 KiB (and answers it)', async () => {
    const c = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    c.send(`"${'x'.repeat(64 * 1024 - 2)}"`);
    const answer = await c.next();
    assert.equal(answer.response, 'error');
    await c.close();
  });
});

describe('limits: HTTP body size', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer({ namespaces: NS, limits: { max_http_body_bytes: 1024 } });
  });
  after(() => server.close());

  it('answers a /post body over max_http_body_bytes with 413 JSON and keeps serving', async () => {
    const body = { channel: 'c', message: 'x'.repeat(2000), token: 't', auth: 'a' };
    const res = await post(`${server.url}/post?site=demo`, body);
    assert.equal(res.status, 413);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    // The same request under the limit gets past the size check (and fails on its fake token).
    const small = await post(`${server.url}/post?site=demo`, { ...body, message: 'hi' });
    assert.equal(small.status, 403);
  });
});
