import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { PublishInput } from '../../src/core/types.js';
import { launchChromium } from '../helpers/browser.js';
import { get } from '../helpers/http.js';
import { startTestServer, TEST_NAMESPACE } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const KEY = 'dashboard-admin-key';
const DOCS = new URL('../../../docs/', import.meta.url); // from dist/test/browser/

/** A GET with the path sent byte for byte (fetch would normalise `..` away). */
function rawGet(base: string, path: string): Promise<{ status: number; type: string | undefined }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the admin dashboard in Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const contexts: BrowserContext[] = [];
  const clients: RawClient[] = [];
  const pageErrors: string[] = [];
  let page: Page;

  const openPage = async (viewport = { width: 1280, height: 860 }): Promise<Page> => {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const p = await context.newPage();
    p.setDefaultTimeout(20_000);
    p.on('pageerror', (err) => pageErrors.push(err.message));
    await p.goto(`${server.url}/admin`);
    return p;
  };
  const signIn = async (p: Page, key: string) => {
    await p.locator('#key-input').fill(key);
    await p.locator('#login-button').click();
  };
  const online = (p: Page) => p.locator('#status[data-state="online"]').waitFor();
  const tab = (p: Page, name: string) => p.locator(`.tabs button[data-view="${name}"]`).click();

  /** A site client subscribed to `channel` the way a browser would (token, then HMAC auth). */
  const siteSubscriber = async (channel: string): Promise<RawClient> => {
    const client = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    clients.push(client);
    const { token } = (await get(`${server.url}/token?site=demo`)).body;
    const auth = createHmac('sha256', TEST_NAMESPACE.secret)
      .update(channel + token)
      .digest('base64');
    client.send({ request: 'subscribe', req_id: 's1', body: { channel, token, auth } });
    assert.equal((await client.next()).response, 'ok');
    return client;
  };
  const chatClient = async (username: string): Promise<RawClient> => {
    const client = await RawClient.connect(server.wsUrl(`/ws?username=${encodeURIComponent(username)}`));
    clients.push(client);
    return client;
  };

  before(async () => {
    browser = await launchChromium();
    const rocket = {
      path: '/demo',
      users: { boss: { secret: 'boss-secret', permissions: ['READ', 'WRITE', 'MANAGE'] } },
    };
    server = await startTestServer({
      admin: { key: KEY },
      namespaces: { demo: { ...TEST_NAMESPACE, rocket } },
    });
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  // The listener resolves `..` before routing, so those paths reach no route at all; encoded
  // slashes and dot files reach the asset route and must be refused there.
  it('serves the page and its files with their types, and nothing outside web/admin', async () => {
    const html = await get(`${server.url}/admin`);
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(html.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    for (const [file, type] of [
      ['app.js', /^text\/javascript/],
      ['api.js', /^text\/javascript/],
      ['chart.js', /^text\/javascript/],
      ['dom.js', /^text\/javascript/],
      ['inspector.js', /^text\/javascript/],
      ['style.css', /^text\/css/],
      ['views.css', /^text\/css/],
      ['small-screens.css', /^text\/css/],
    ] as const) {
      const r = await get(`${server.url}/assets/admin/${file}`);
      assert.equal(r.status, 200, file);
      assert.match(r.headers.get('content-type') ?? '', type, file);
    }
    for (const path of [
      '/assets/admin/../../package.json',
      '/assets/admin/..%2F..%2Fpackage.json',
      '/assets/admin/%2e%2e/%2e%2e/package.json',
      '/assets/admin/.hidden.js',
      '/assets/admin/missing.js',
      '/assets/admin/index',
    ]) {
      const r = await rawGet(server.url, path);
      assert.equal(r.status, 404, path);
      assert.match(r.type ?? '', /^application\/json/, path);
    }
  });

  it('refuses a wrong key with a clear error, then signs in with the right one', async () => {
    page = await openPage();
    await signIn(page, 'not-the-key');
    const error = page.locator('#login-error');
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent()) ?? '', /Wrong admin key/);
    assert.equal(await page.locator('#app').isHidden(), true);

    await signIn(page, KEY);
    await online(page);
    assert.equal(await page.locator('#login').isHidden(), true);
    // Kept for the tab: a reload does not ask again.
    await page.reload();
    await online(page);
    assert.equal(await page.locator('#login').isHidden(), true);
  });

  it('updates the figures and the chart live as clients connect and messages flow', async () => {
    await siteSubscriber('news');
    await chatClient('watcher');
    await page.locator('#f-connections', { hasText: /^2$/ }).waitFor();
    await page.locator('#f-subscriptions', { hasText: /^1$/ }).waitFor();
    for (let i = 0; i < 5; i++) await server.hub.publish('demo', 'news', { data: { n: i } });
    await page.locator('#f-accepted', { hasText: /^5$/ }).waitFor();
    // The engine's channel count, as /stats counts it afresh (the dashboard's is at most 5 s old).
    const channels = (await get(`${server.url}/stats`, { authorization: `Bearer ${KEY}` })).body.channels;
    assert.ok(channels >= 1, 'news has history');
    await page.locator('#f-channels', { hasText: new RegExp(`^${channels}$`) }).waitFor({ timeout: 15_000 });
    await page.locator('#chart polyline.series.in').waitFor();
    const demo = page.locator('#namespaces tr', { hasText: 'demo' });
    await demo.waitFor();
    assert.deepEqual(await page.locator('#by-dialect .bar-label').allTextContents(), ['chat', 'site']);
  });

  it('with the memory engine the cluster is this node: "1 node", one row, no warning', async () => {
    await page.locator('#scope', { hasText: /\b1 node answered/ }).waitFor();
    const rows = page.locator('#nodes tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    const row = page.locator(`#nodes tr[data-node="${server.hub.nodeId}"]`);
    assert.match((await row.locator('td[data-label="Node"]').textContent()) ?? '', /this page/);
    assert.equal(await row.locator('td[data-label="Connections"]').textContent(), '2');
    assert.equal(await row.locator('td[data-label="Subscriptions"]').textContent(), '1');
    assert.equal(await row.locator('td[data-label="Published"]').textContent(), '5');
    // The headline figures (the cluster's sums) are this node's own.
    assert.equal(await page.locator('#f-connections').textContent(), String(server.hub.connectionCount));
    assert.equal(await page.locator('#missing').isHidden(), true);
  });

  it('tails a channel live, shows markup as text, and publishes from the page', async () => {
    const subscriber = await siteSubscriber('alerts');
    await server.hub.publish('demo', 'alerts', { data: 'before the page looked' });
    await tab(page, 'channels');
    await page.locator('#channel-ns').selectOption('demo');
    await page.locator('#channels button[data-channel="alerts"]').click();
    await page.locator('#history .pub-data', { hasText: 'before the page looked' }).waitFor();

    // Published elsewhere while the page is open: the tail shows it.
    await server.hub.publish('demo', 'alerts', { data: { level: 'high' }, event: 'raised' });
    await page.locator('#history .pub-data', { hasText: '"level": "high"' }).waitFor();
    await page.locator('#history .tag', { hasText: 'raised' }).waitFor();

    const markup = '<img src=x onerror="window.pwned=1"><b>bold</b>';
    await server.hub.publish('demo', 'alerts', { data: markup, sender: '<i>someone</i>' });
    const shown = page.locator('#history .pub-data', { hasText: '<b>bold</b>' });
    await shown.waitFor();
    assert.equal(await shown.textContent(), markup);
    assert.equal(await page.locator('#history img, #history b, #history i').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);

    // Published from the page: it reaches the real subscriber and enters history.
    await page.locator('#publish-data').fill('{"from": "the dashboard"}');
    await page.locator('#publish-button').click();
    await page.locator('#publish-result', { hasText: /Published as #\d+, delivered to 1/ }).waitFor();
    await page.locator('#history .pub-data', { hasText: 'the dashboard' }).waitFor();
    let got = '';
    for (let i = 0; i < 5 && !got.includes('the dashboard'); i++)
      got = JSON.stringify(await subscriber.next());
    assert.match(got, /the dashboard/);
    const { publications } = await server.hub.history('demo', 'alerts', { last: 1 });
    assert.deepEqual(publications[0]?.data, { from: 'the dashboard' });
  });

  it('lists connections and kicks one: the real WebSocket client is closed', async () => {
    const before = new Set(Array.from(server.hub.localConnections(), (c) => c.id));
    const victim = await chatClient('kick-me');
    const id = Array.from(server.hub.localConnections(), (c) => c.id).find((k) => !before.has(k))!;
    // Context set by a backend (mesh conn.call) shows in the table, as text.
    assert.deepEqual(await server.hub.call(id, { fn: 'setContext', context: { role: '<b>agent</b>' } }), {
      ok: true,
    });
    await tab(page, 'connections');
    const row = page.locator(`#connections tr[data-id="${id}"]`);
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /kick-me/);
    assert.equal(await row.locator('td[data-label="Context"]').textContent(), '{"role":"<b>agent</b>"}');
    assert.match((await row.locator('td[data-label="Client"]').textContent()) ?? '', new RegExp(id));
    assert.equal(await row.locator('td[data-label="Dialect"]').textContent(), 'chat');
    assert.equal(await row.locator('td[data-label="Namespace"]').textContent(), 'chat');
    const site = page.locator('#connections tr', { hasText: 'alerts' });
    assert.equal(await site.locator('td[data-label="Dialect"]').textContent(), 'site');

    await row.locator('button', { hasText: 'Kick' }).click();
    await row.locator('button', { hasText: 'Confirm kick' }).click();
    const closed = await victim.closed;
    assert.equal(closed.code, 1000);
    assert.equal(closed.reason, 'disconnected by admin');
    await row.waitFor({ state: 'detached' });
    await page.locator('#toast', { hasText: 'Disconnected' }).waitFor();
  });

  it('shows queue topics with their depths', async () => {
    await server.hub.queuePush('demo', 'jobs', { node: 0, client: '0', topic: 'jobs', data: { job: 1 } });
    await server.hub.queuePush('demo', 'jobs', { node: 0, client: '0', topic: 'jobs', data: { job: 2 } });
    await tab(page, 'queues');
    const row = page.locator('#topics tr', { hasText: 'jobs' });
    await row.waitFor();
    assert.equal(await row.locator('td[data-label="Depth"]').textContent(), '2');
    assert.equal(await row.locator('td[data-label="Consumers"]').textContent(), '0');
  });

  it('lets a rocket user with MANAGE sign in and see only its own namespace', async () => {
    const p = await openPage();
    await p.locator('#manager-login summary').click();
    await p.locator('#mgr-ns').fill('demo');
    await p.locator('#mgr-user').fill('boss');
    await p.locator('#mgr-secret').fill('not-the-secret');
    await p.locator('#login-button').click();
    await p.locator('#login-error', { hasText: 'Manager sign-in refused' }).waitFor();

    await p.locator('#mgr-secret').fill('boss-secret');
    await p.locator('#login-button').click();
    await online(p);
    await p.locator('#node', { hasText: 'manager demo / boss' }).waitFor();
    assert.deepEqual(await p.locator('#namespaces td[data-label="Name"]').allTextContents(), ['demo']);
    assert.equal(await p.locator('#f-in-rate').isVisible(), false, 'no server-wide figures');
    await tab(p, 'connections');
    await p.locator('#connections tr', { hasText: 'alerts' }).waitFor();
    const namespaces = await p.locator('#connections td[data-label="Namespace"]').allTextContents();
    assert.ok(namespaces.length > 0 && namespaces.every((n) => n === 'demo'), namespaces.join());
  });

  it('fits a phone screen: no sideways scrolling, tables stacked as cards', async () => {
    const phone = await openPage({ width: 390, height: 800 });
    await signIn(phone, KEY);
    await online(phone);
    for (const view of ['overview', 'channels', 'connections', 'queues']) {
      await tab(phone, view);
      await phone.locator(`#view-${view}`).waitFor();
      if (view === 'connections') {
        await phone.locator('#connections tr', { hasText: 'watcher' }).waitFor();
        assert.equal(await phone.locator('#view-connections thead').isVisible(), false);
      }
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${view} scrolls sideways by ${overflow}px`);
    }
    assert.deepEqual(pageErrors, [], 'no script errors on any page');
  });

  it('takes the screenshots for the docs (SWITCHBOARD_SCREENSHOTS=1)', async (t) => {
    if (process.env.SWITCHBOARD_SCREENSHOTS !== '1') {
      t.diagnostic('set SWITCHBOARD_SCREENSHOTS=1 to refresh docs/admin-dashboard*.png');
      return;
    }
    await screenshots(page, server, chatClient, siteSubscriber);
  });
});

/** About a minute of varying traffic so the chart has a shape, then the two views. */
async function screenshots(
  page: Page,
  server: Awaited<ReturnType<typeof startTestServer>>,
  chatClient: (name: string) => Promise<RawClient>,
  siteSubscriber: (channel: string) => Promise<RawClient>,
): Promise<void> {
  await page.reload();
  await page.locator('#status[data-state="online"]').waitFor();
  await page.locator('.tabs button[data-view="overview"]').click();
  const names = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara'];
  for (let second = 0; second < 64; second++) {
    if (second % 8 === 0 && names.length > 0) await chatClient(names.shift()!);
    if (second % 11 === 3) await siteSubscriber(second % 2 ? 'news' : 'prices');
    const burst = Math.round(20 + 15 * Math.sin(second / 6) + (second > 40 ? 25 : 0));
    for (let i = 0; i < burst; i++) {
      await server.hub.publish('demo', i % 3 ? 'prices' : 'news', {
        data: { symbol: 'SWB', price: 100 + Math.round(Math.sin(i) * 500) / 100 },
      });
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  await page.screenshot({ path: new URL('admin-dashboard.png', DOCS).pathname, fullPage: true });

  const deploys: PublishInput[] = [
    {
      data: { service: 'api', version: '2026.11.23-1', status: 'started' },
      event: 'deploy',
      sender: 'ci-bot',
    },
    {
      data: { service: 'api', version: '2026.11.23-1', status: 'finished', seconds: 42 },
      event: 'deploy',
      sender: 'ci-bot',
    },
    { data: 'rollback window closes at 18:00 UTC', sender: 'ops' },
  ];
  for (const d of deploys) await server.hub.publish('demo', 'deploys', d);
  await page.locator('.tabs button[data-view="channels"]').click();
  await page.locator('#channel-ns').selectOption('demo');
  await page.locator('#channels button[data-channel="deploys"]').click();
  await page.locator('#history .pub-data', { hasText: 'rollback window' }).waitFor();
  await server.hub.publish('demo', 'deploys', {
    data: { service: 'worker', version: '2026.11.23-2', status: 'started' },
    event: 'deploy',
    sender: 'ci-bot',
  });
  await page.locator('#history .pub-data', { hasText: 'worker' }).waitFor();
  await page
    .locator('#publish-data')
    .fill('{"service": "worker", "note": "hold further deploys until 19:00"}');
  await page.locator('#publish-event').fill('notice');
  await page.screenshot({ path: new URL('admin-dashboard-channel.png', DOCS).pathname, fullPage: true });
}
