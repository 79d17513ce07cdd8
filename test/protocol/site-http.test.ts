import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueToken, tokenKey } from '../../src/dialects/site/tokens.js';
import { get, post } from '../helpers/http.js';
import {
  connectSite,
  fetchToken,
  postAuthOf,
  postMessage,
  startSiteServer,
  subscribe,
  type TestServer,
} from './site-fixtures.js';

const ADMIN_KEY = 'admin-key-for-tests';

describe('site: POST /post and GET /token', () => {
  let server: TestServer;
  before(async () => {
    server = await startSiteServer({ limits: { max_http_body_bytes: 2048 } });
  });
  after(() => server.close());

  /** A post request with a valid token and auth for demo, with `patch` applied to the body. */
  async function postWith(patch: Record<string, unknown>, site = 'demo') {
    const token = await fetchToken(server);
    const body = { channel: 'c', message: { a: 1 }, token, auth: postAuthOf('post-secret', token), ...patch };
    return post(`${server.url}/post?site=${site}`, body);
  }

  function assertError(
    res: { status: number; body: unknown; headers: Headers },
    status: number,
    message: RegExp,
  ) {
    assert.equal(res.status, status);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = res.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['status', 'message']);
    assert.equal(body.status, 'error');
    assert.match(String(body.message), message);
  }

  it('answers 200 {"status":"ok"} and publishes any JSON value, null included', async () => {
    const c = await connectSite(server);
    try {
      assert.equal((await subscribe(server, c, 'values')).response, 'ok');
      const values = [{ text: 'hi' }, 'str', 42, null, [1, { b: 2 }], false];
      for (const v of values) {
        const res = await postMessage(server, 'values', v);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, { status: 'ok' });
      }
      for (const v of values) assert.deepEqual((await c.next()).body, v);
    } finally {
      await c.close();
    }
  });

  it('answers 400 for a malformed body or a missing or wrong-typed field', async () => {
    const raw = (text: string) => post(`${server.url}/post?site=demo`, text);
    assertError(await raw('{"channel":'), 400, /^request body is not valid JSON$/);
    assertError(await raw(''), 400, /not valid JSON/);
    for (const text of ['[]', 'null', '"x"', '1']) {
      assertError(await raw(text), 400, /^body must be a JSON object with channel, message, token and auth$/);
    }
    assertError(await postWith({ channel: undefined }), 400, /^channel must be a non-empty string$/);
    assertError(await postWith({ channel: '' }), 400, /^channel/);
    assertError(await postWith({ channel: 3 }), 400, /^channel/);
    assertError(await postWith({ message: undefined }), 400, /^message is missing$/);
    assertError(await postWith({ token: undefined }), 400, /^token must be a non-empty string/);
    assertError(await postWith({ token: 5 }), 400, /^token/);
    assertError(await postWith({ auth: undefined }), 400, /^auth must be a non-empty string/);
    assertError(await postWith({ auth: [] }), 400, /^auth/);
  });

  it('answers 403 for a wrong auth, an unknown token or an expired token', async () => {
    assertError(await postWith({ auth: 'x' }), 403, /^auth does not match/);
    const token = await fetchToken(server);
    // Signed with the subscribe secret instead of the post secret.
    assertError(
      await postWith({ token, auth: postAuthOf('site-secret', token) }),
      403,
      /^auth does not match/,
    );
    assertError(
      await postWith({ token: 'fo34hfng;fgv4f==' }),
      403,
      /^invalid token: not issued by \/token\?site=demo$/,
    );
    const expired = issueToken('demo', tokenKey('site-secret'), 1, Date.now() - 2000).token;
    assertError(
      await postWith({ token: expired, auth: postAuthOf('post-secret', expired) }),
      403,
      /^token has expired: get a new one from \/token$/,
    );
  });

  it('refuses a token of another site (403), whatever the auth', async () => {
    const otherToken = await fetchToken(server, 'other');
    assertError(
      await postWith({ token: otherToken, auth: postAuthOf('post-secret', otherToken) }),
      403,
      /^invalid token/,
    );
    const demoToken = await fetchToken(server, 'demo');
    const res = await post(`${server.url}/post?site=other`, {
      channel: 'c',
      message: 1,
      token: demoToken,
      auth: postAuthOf('other-post-secret', demoToken),
    });
    assertError(res, 403, /^invalid token: not issued by \/token\?site=other$/);
  });

  it('answers 404 for an unknown site and 400 without a site', async () => {
    assertError(await postWith({}, 'nope'), 404, /^unknown site nope$/);
    assertError(await postWith({}, 'plain'), 404, /^unknown site plain$/);
    assertError(await post(`${server.url}/post`, {}), 400, /^query parameter "site" is required$/);
  });

  it('answers 403 when the site has no post_secret', async () => {
    const token = await fetchToken(server, 'readonly');
    const res = await post(`${server.url}/post?site=readonly`, {
      channel: 'c',
      message: 1,
      token,
      auth: 'x',
    });
    assertError(res, 403, /^posting is not enabled for site readonly$/);
  });

  it('accepts posts on a site without a secret (post only)', async () => {
    assert.equal((await postMessage(server, 'c', 'hello', 'postonly')).status, 200);
  });

  it('answers 413 for a body over limits.max_http_body_bytes', async () => {
    assertError(await postWith({ message: 'x'.repeat(4096) }), 413, /exceeds 2048 bytes/);
  });

  it('GET /token: 404 for an unknown site, 400 without a site, same error shape', async () => {
    assertError(await get(`${server.url}/token?site=nope`), 404, /^unknown site nope$/);
    assertError(await get(`${server.url}/token`), 400, /^query parameter "site" is required$/);
    assertError(await get(`${server.url}/token?site=`), 400, /site/);
  });
});

describe('GET /stats (the figures of the original site server, now an operator endpoint)', () => {
  it('answers uptime, memory, connections and counters without an admin key configured', async () => {
    const server = await startSiteServer();
    const c = await connectSite(server);
    try {
      assert.equal((await subscribe(server, c, 'st')).response, 'ok');
      await postMessage(server, 'st', 'x');
      await c.next();
      const res = await get(`${server.url}/stats`);
      assert.equal(res.status, 200);
      const s = res.body;
      assert.ok(Number.isInteger(s.uptime) && s.uptime >= 0);
      assert.ok(Number.isInteger(s.memory) && s.memory > 1_000_000);
      assert.equal(s.connections.total, 1);
      assert.deepEqual(s.connections.by_dialect, { site: 1 });
      assert.equal(s.subscriptions, 1);
      assert.ok(s.channels >= 1);
      assert.ok(s.messages.published >= 1);
      assert.ok(s.messages.delivered >= 1);
      assert.equal(s.messages.failed, 0);
    } finally {
      await c.close();
      await server.close();
    }
  });

  it('requires Authorization: Bearer KEY when admin.key is set', async () => {
    const server = await startSiteServer({ admin: { key: ADMIN_KEY } });
    try {
      // The operator endpoints' error shape (docs/operations.md "Errors"), as on /admin/api/stats.
      for (const headers of [undefined, { authorization: 'Bearer wrong' }, { authorization: ADMIN_KEY }]) {
        const res = await get(`${server.url}/stats`, headers);
        assert.equal(res.status, 401);
        assert.equal(res.body.error.code, 'unauthorized');
        assert.match(res.body.error.message, /admin key/);
      }
      const ok = await get(`${server.url}/stats`, { authorization: `Bearer ${ADMIN_KEY}` });
      assert.equal(ok.status, 200);
      assert.equal(typeof ok.body.uptime, 'number');
      assert.equal(typeof ok.body.memory, 'number');
    } finally {
      await server.close();
    }
  });
});
