import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { issueToken, tokenKey } from '../../src/dialects/site/tokens.js';
import { get } from '../helpers/http.js';
import { expectRefused } from '../helpers/ws-client.js';
import {
  connectSite,
  fetchToken,
  postMessage,
  startSiteServer,
  subAuth,
  subscribe,
  useSiteServer,
} from './site-fixtures.js';

/**
 * Known-answer vector, computed once outside this code base:
 *   token: built with a node:crypto one-liner for site "demo", secret "site-secret", expiring
 *          2100-01-01 (see test/unit/site-tokens.test.ts for the recipe)
 *   auth:  printf '%s' "news$TOKEN" | openssl dgst -sha256 -hmac site-secret -binary | base64
 */
const KAT_TOKEN = 'AQO7LMPYAAABAgMEBQYHCAkKCwwNDg8ExvpI2AnjUuLLNaKBgIMP';
const KAT_AUTH = 'wARlLtkQXFbXSA3XMTjogJbwxqyQzgDYtOhlUPQkXfY=';

describe('site: tokens and subscribe auth', () => {
  const { server, open } = useSiteServer();

  it('GET /token answers a token and the site token_ttl as expires', async () => {
    const demo = await get(`${server.url}/token?site=demo`);
    assert.equal(demo.status, 200);
    assert.match(demo.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(Object.keys(demo.body).sort(), ['expires', 'token']);
    assert.equal(demo.body.expires, 300);
    assert.match(demo.body.token, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.ok(Buffer.from(demo.body.token, 'base64').length >= 16);
    const other = await get(`${server.url}/token?site=other`);
    assert.equal(other.body.expires, 60);
    assert.notEqual(other.body.token, demo.body.token);
  });

  it('subscribes with auth = base64(hmac256(secret, channel + token)) and receives posts', async () => {
    const c = await open();
    assert.deepEqual(await subscribe(server, c, 'news', { reqId: '32r2' }), {
      response: 'ok',
      req_id: '32r2',
      body: null,
    });
    assert.equal((await postMessage(server, 'news', { hello: 'world' })).status, 200);
    const msg = await c.next();
    assert.deepEqual(Object.keys(msg), ['message', 'ord', 'body']);
    assert.equal(msg.message, 'news');
    assert.deepEqual(msg.body, { hello: 'world' });
    assert.ok(Number.isSafeInteger(msg.ord) && msg.ord > 0);
  });

  it('accepts the known-answer token and auth', async () => {
    const c = await open();
    c.send({
      request: 'subscribe',
      req_id: 'kat',
      body: { channel: 'news', after: 0, token: KAT_TOKEN, auth: KAT_AUTH },
    });
    assert.deepEqual(await c.next(), { response: 'ok', req_id: 'kat', body: null });
  });

  it('refuses a wrong auth and keeps the connection open', async () => {
    const c = await open();
    const token = await fetchToken(server);
    const wrong = [
      subAuth('site-secret', 'other-channel', token), // signed for another channel
      subAuth('wrong-secret', 'news', token),
      subAuth('site-secret', 'news', token).replace(/=+$/, ''), // padding is part of the format
      'x',
      KAT_AUTH,
    ];
    for (const auth of wrong) {
      c.send({ request: 'subscribe', req_id: 'w', body: { channel: 'news', after: 0, token, auth } });
      const res = await c.next();
      assert.equal(res.response, 'error');
      assert.equal(res.req_id, 'w');
      assert.match(res.body, /^auth does not match/);
    }
    assert.equal((await subscribe(server, c, 'news', { token })).response, 'ok');
  });

  it('refuses an expired token (crafted, and one that aged past token_ttl)', async () => {
    const c = await open();
    const aged = issueToken('demo', tokenKey('site-secret'), 1, Date.now() - 5000).token;
    c.send({
      request: 'subscribe',
      body: { channel: 'news', token: aged, auth: subAuth('site-secret', 'news', aged) },
    });
    assert.deepEqual(await c.next(), {
      response: 'error',
      body: 'token has expired: get a new one from /token',
    });

    const short = await startSiteServer({ namespaces: { demo: { secret: 'site-secret', token_ttl: 1 } } });
    try {
      const s = await connectSite(short);
      const token = await fetchToken(short);
      await new Promise((r) => setTimeout(r, 1100));
      s.send({
        request: 'subscribe',
        req_id: 'e',
        body: { channel: 'n', token, auth: subAuth('site-secret', 'n', token) },
      });
      assert.deepEqual(await s.next(), {
        response: 'error',
        req_id: 'e',
        body: 'token has expired: get a new one from /token',
      });
      await s.close();
    } finally {
      await short.close();
    }
  });

  it('refuses unknown and made-up tokens', async () => {
    const c = await open();
    for (const token of ['fskdfkjnKJkj', 'AAAA', KAT_TOKEN.replace('AQ', 'AR')]) {
      c.send({
        request: 'subscribe',
        body: { channel: 'news', token, auth: subAuth('site-secret', 'news', token) },
      });
      assert.deepEqual(await c.next(), {
        response: 'error',
        body: 'invalid token: not issued by /token?site=demo',
      });
    }
  });

  it('refuses a token of site A on site B, even with the right auth for B', async () => {
    const onOther = await open('other');
    const demoToken = await fetchToken(server, 'demo');
    onOther.send({
      request: 'subscribe',
      body: { channel: 'news', after: 0, token: demoToken, auth: subAuth('other-secret', 'news', demoToken) },
    });
    assert.deepEqual(await onOther.next(), {
      response: 'error',
      body: 'invalid token: not issued by /token?site=other',
    });
    const onDemo = await open('demo');
    const otherToken = await fetchToken(server, 'other');
    onDemo.send({
      request: 'subscribe',
      body: { channel: 'news', token: otherToken, auth: subAuth('site-secret', 'news', otherToken) },
    });
    assert.equal((await onDemo.next()).response, 'error');
  });

  it('keeps sites apart: a post to demo never reaches a subscriber of the same channel on other', async () => {
    const onOther = await open('other');
    assert.equal((await subscribe(server, onOther, 'shared', { site: 'other' })).response, 'ok');
    const onDemo = await open('demo');
    assert.equal((await subscribe(server, onDemo, 'shared')).response, 'ok');
    await postMessage(server, 'shared', 'for demo only');
    assert.equal((await onDemo.next()).body, 'for demo only');
    assert.equal(await onOther.silentFor(150), true);
  });

  it('refuses a second subscribe to the same channel', async () => {
    const c = await open();
    assert.equal((await subscribe(server, c, 'twice')).response, 'ok');
    assert.deepEqual(await subscribe(server, c, 'twice', { reqId: '2' }), {
      response: 'error',
      req_id: '2',
      body: 'already subscribed to channel twice',
    });
  });

  it('refuses the upgrade for an unknown site with 404 and the error shape', async () => {
    const refused = await expectRefused(server.wsUrl('/ws?site=nope'));
    assert.equal(refused.status, 404);
    assert.match(refused.contentType ?? '', /application\/json/);
    assert.deepEqual(refused.json(), { status: 'error', message: 'unknown site nope' });
    const plain = await expectRefused(server.wsUrl('/ws?site=plain'));
    assert.deepEqual(plain.json(), { status: 'error', message: 'unknown site plain' });
  });

  it('refuses the upgrade for a blank site (400) and a site without a secret (404)', async () => {
    const blank = await expectRefused(server.wsUrl('/ws?site='));
    assert.equal(blank.status, 400);
    assert.deepEqual(blank.json(), { status: 'error', message: 'query parameter "site" is required' });
    const postOnly = await expectRefused(server.wsUrl('/ws?site=postonly'));
    assert.equal(postOnly.status, 404);
    assert.equal(postOnly.json().status, 'error');
    assert.match(postOnly.json().message, /site postonly has no secret configured/);
  });
});
