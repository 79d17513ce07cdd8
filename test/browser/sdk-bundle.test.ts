// The served SDK bundle (`/sdk/switchboard.js`, `/sdk/switchboard.iife.js`) loaded in Chromium
// from a running server: a page imports it, connects, subscribes and receives, with the
// browser's own WebSocket and fetch. Plus the route's headers (type, caching, ETag, versions).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { SiteBackend } from '../../src/backend/site-backend.js';
import { launchChromium } from '../helpers/browser.js';
import { get } from '../helpers/http.js';
import { startTestServer, TEST_NAMESPACE } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const VERSION = JSON.parse(readFileSync('package.json', 'utf8')).version as string;

describe('the served SDK bundle', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  before(async () => {
    server = await startTestServer({
      namespaces: {
        demo: {
          ...TEST_NAMESPACE,
          rocket: { path: '/demo', users: { front: { secret: 'f', permissions: ['READ', 'WRITE'] } } },
        },
      },
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.url}/healthz`); // any page of the server's origin
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves both files as JavaScript with caching headers and ETags', async () => {
    const plain = await get(`${server.url}/sdk/switchboard.js`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(plain.headers.get('cache-control'), 'public, max-age=300');
    assert.equal(plain.headers.get('access-control-allow-origin'), '*');
    assert.match(plain.text, /^\/\* Switchboard client SDK /);
    const etag = plain.headers.get('etag');
    assert.ok(etag);
    const again = await fetch(`${server.url}/sdk/switchboard.js`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');

    const pinned = await get(`${server.url}/sdk/${VERSION}/switchboard.iife.js`);
    assert.equal(pinned.status, 200);
    assert.equal(pinned.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(pinned.text, /var Switchboard=/);
    const other = await get(`${server.url}/sdk/0.0.0-nope/switchboard.js`);
    assert.equal(other.status, 404);
    assert.match(other.body.error, new RegExp(`serves ${VERSION.replace(/\./g, '\\.')}`));
    assert.equal((await get(`${server.url}/sdk/server.js`)).status, 404);
    assert.ok(!plain.text.includes('node:'), 'no Node import in the bundle');
  });

  it('a page imports the ES module, subscribes with SiteClient and receives a post', async () => {
    const site = new SiteBackend({
      url: server.url,
      site: 'demo',
      secret: TEST_NAMESPACE.secret,
      postSecret: TEST_NAMESPACE.post_secret,
    });
    // The page's "backend": subscribe credentials computed in Node, where the secret is.
    await page.exposeFunction('siteAuth', (channel: string) => site.subscribeAuth(channel));
    const ready = page.evaluate(async (wsUrl) => {
      const bundle: string = '/sdk/switchboard.js'; // a variable: tsc must not resolve it
      const sb = await import(bundle);
      const w = window as unknown as { siteAuth(c: string): Promise<unknown>; got: unknown[] };
      w.got = [];
      const client = new sb.SiteClient({ url: wsUrl, getAuth: (c: string) => w.siteAuth(c) });
      await client.subscribe('news', (body: unknown, meta: { ord: number }) =>
        w.got.push({ body, ord: meta.ord }),
      );
      return client.state;
    }, server.wsUrl('/ws?site=demo'));
    assert.equal(await ready, 'connected');
    await site.post('news', { title: 'from the backend' });
    await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length === 1);
    const got = await page.evaluate(() => (window as unknown as { got: { body: unknown }[] }).got);
    assert.deepEqual(got[0]!.body, { title: 'from the backend' });
  });

  it('a page loads the IIFE script: RocketClient and ChatClient from the Switchboard global', async () => {
    await page.addScriptTag({ url: `/sdk/${VERSION}/switchboard.iife.js` });
    const subscribed = page.evaluate(async (wsUrl) => {
      const w = window as any;
      w.events = [];
      const rocket = new w.Switchboard.RocketClient({
        url: wsUrl,
        credentials: { user: 'front', secret: 'f' },
      });
      const sub = await rocket.subscribe('alerts');
      sub.bind('fire', (data: unknown) => w.events.push(data));
      return rocket.user;
    }, server.wsUrl('/demo'));
    assert.equal(await subscribed, 'front');
    const writer = await RawClient.connect(server.wsUrl('/demo'));
    writer.send({ authenticate: { user: 'front', secret: 'f' } });
    await writer.next();
    writer.send({ broadcast: { event: 'fire', channel: 'alerts', data: { level: 3 } } });
    assert.deepEqual(await writer.next(), { broadcasted: 'alerts' });
    await writer.close();
    await page.waitForFunction(() => (window as unknown as { events: unknown[] }).events.length === 1);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { events: unknown[] }).events), [
      { level: 3 },
    ]);

    const echo = await page.evaluate(async (base) => {
      const chat = new (window as any).Switchboard.ChatClient({ url: base, username: 'browser' });
      const m = await chat.send('Lobby', 'hello from the bundle', { id: 'b-1' });
      const history = await chat.history('lobby');
      await chat.close();
      return { id: m.id, room: m.room, history: history.map((h: { text: string }) => h.text) };
    }, server.url);
    assert.deepEqual(echo, { id: 'b-1', room: 'Lobby', history: ['hello from the bundle'] });
    assert.deepEqual(pageErrors, []);
  });
});
