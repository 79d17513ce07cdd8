/**
 * The admin dashboard's overview over a cluster, in Chromium: two in-process servers on the
 * machine's Redis, the page served by A. Its headline figures are the cluster's sums (connections
 * held on B count), every node has a row, a node that does not answer is named in a warning, and a
 * node joining between two polls with messages already counted draws no rate for that interval.
 * The path holds "browser" so `SWITCHBOARD_TEST_FILTER=browser` runs it with the other page tests.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ControlReply } from '../../src/engines/engine.js';
import { RedisEngine } from '../../src/engines/redis/redis-engine.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import { deleteRedisPrefix, REDIS_URL, until } from './helpers.js';

const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;
const KEY = 'dashboard-cluster-key';
/** Short, so a node that never answers holds each poll up briefly; the bound is the engine's. */
const CONTROL_TIMEOUT_MS = 400;
const CONFIG = { admin: { key: KEY }, namespaces: { demo: { secret: 'site-secret' } } };

type Server = Awaited<ReturnType<typeof startTestServer>>;

describe('cluster: the admin dashboard overview covers every node', () => {
  const servers: Server[] = [];
  const clients: RawClient[] = [];
  const pageErrors: string[] = [];
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let a: Server;
  let b: Server;

  const startNode = async (nodeId: number): Promise<Server> => {
    const engine = new RedisEngine({ url: REDIS_URL, prefix, nodeId, controlTimeoutMs: CONTROL_TIMEOUT_MS });
    const server = await startTestServer(CONFIG, { engine });
    servers.push(server);
    return server;
  };
  /** A site connection held by `server`'s node. */
  const connect = async (server: Server): Promise<void> => {
    const before = server.hub.connectionCount;
    clients.push(await RawClient.connect(server.wsUrl('/ws?site=demo')));
    await until(() => server.hub.connectionCount > before, 'the connection registered');
  };
  const cell = (node: number, label: string) =>
    page.locator(`#nodes tr[data-node="${node}"] td[data-label="${label}"]`).textContent();

  before(async () => {
    browser = await launchChromium();
    a = await startNode(401);
    b = await startNode(402);
    await connect(a);
    await connect(b);
    await connect(b);
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${a.url}/admin`);
    await page.locator('#key-input').fill(KEY);
    await page.locator('#login-button').click();
    await page.locator('#status[data-state="online"]').waitFor();
  });
  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.close()));
    await deleteRedisPrefix(prefix);
  });

  it('shows the connections held on B in the total served by A, and lists both nodes', async () => {
    await page.locator('#f-connections', { hasText: /^3$/ }).waitFor();
    await page.locator('#conn-badge', { hasText: /^3$/ }).waitFor();
    await page.locator('#scope', { hasText: 'whole cluster: 2 nodes answered' }).waitFor();
    assert.deepEqual(
      await page.locator('#nodes tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-node'))),
      ['401', '402'],
    );
    assert.match((await cell(401, 'Node')) ?? '', /401 \(this page\)/);
    assert.equal(await cell(401, 'Connections'), '1');
    assert.equal(await cell(402, 'Node'), '402');
    assert.equal(await cell(402, 'Connections'), '2');
    assert.equal(await page.locator('#missing').isHidden(), true);
    // The top bar still names the node that serves the page.
    assert.match((await page.locator('#node').textContent()) ?? '', /^node 401 · redis engine/);
  });

  it('names a node that does not answer in a warning, and drops the warning once it is gone', async () => {
    const hung = new RedisEngine({ url: REDIS_URL, prefix, nodeId: 403 });
    await hung.start({
      onPublication: () => ({ delivered: 0, failed: 0 }),
      onControl: () => new Promise<ControlReply>(() => undefined), // never answers
    });
    try {
      const warning = page.locator('#missing', { hasText: 'node 403' });
      await warning.waitFor();
      assert.match((await warning.textContent()) ?? '', /did not answer within/);
      await page.locator('#scope', { hasText: '2 nodes of 3: 1 did not answer' }).waitFor();
      const row = page.locator('#nodes tr[data-node="403"]');
      assert.equal(await row.getAttribute('class'), 'warn');
      assert.match((await row.textContent()) ?? '', /no answer/);
      assert.equal(await page.locator('#f-connections').textContent(), '3', 'the answering nodes’ sum');
    } finally {
      await hung.close();
    }
    await page.locator('#missing').waitFor({ state: 'hidden' });
    await page.locator('#nodes tr[data-node="403"]').waitFor({ state: 'detached' });
  });

  it('draws no rate for the interval in which a node with counted messages joined', async () => {
    // Polls fail while the page is offline, so the next one that succeeds is the first to hear of
    // C, which by then has published 500 messages: the cluster sum jumps by them at once.
    await context.setOffline(true);
    await page.locator('#status[data-state="offline"]').waitFor();
    const c = await startNode(404);
    for (let i = 0; i < 500; i++) await c.hub.publish('demo', 'news', { data: { n: i } });
    await context.setOffline(false);
    await page.locator('#scope', { hasText: '3 nodes answered' }).waitFor();
    await page.locator('#f-accepted', { hasText: /^500$/ }).waitFor();
    // The interval with the join is left out: the line breaks there and goes on from the next poll.
    await page.locator('#chart polyline.series.in').nth(1).waitFor({ state: 'attached' });
    const rateAxisTop = await page.locator('#chart text.axis.in').first().textContent();
    assert.equal(rateAxisTop, '4', 'no spike: the rate axis stays at its smallest scale');
    assert.deepEqual(pageErrors, [], 'no script errors');
  });
});
