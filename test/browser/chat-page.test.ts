import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { configSchema } from '../../src/app/config-schema.js';
import { type RunningServer, startServer } from '../../src/app/server.js';
import { launchChromium } from '../helpers/browser.js';

const SCREENSHOT = new URL('../../../docs/chat-page.png', import.meta.url); // from dist/test/browser/

/** A real server on a given port (0: any), so that it can be restarted on the same one. */
async function serveOn(port: number): Promise<RunningServer> {
  const config = configSchema.parse({ listen: { host: '127.0.0.1', port } });
  return startServer(config, { logger: pino({ level: process.env.SWITCHBOARD_TEST_LOG ?? 'silent' }) });
}

describe('the chat page in Chromium', () => {
  let browser: Browser;
  let server: RunningServer;
  let port: number;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  /** A fresh browser profile (its own localStorage) with the page open. */
  const openPage = async (viewport = { width: 1100, height: 720 }): Promise<Page> => {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.url}/`);
    return page;
  };
  const join = async (page: Page, name: string) => {
    await page.locator('#name-input').fill(name);
    await page.locator('#name-input').press('Enter');
    await online(page);
  };
  const online = (page: Page) => page.locator('#status[data-state="online"]').waitFor();
  const say = async (page: Page, text: string) => {
    await page.locator('#text').fill(text);
    await page.locator('#text').press('Enter');
    // Confirmed: the server's echo carried our id back.
    await page.locator('.message.mine:not(.pending) .text', { hasText: text }).last().waitFor();
  };
  const texts = (page: Page) => page.locator('#messages .text').allTextContents();

  let alice: Page;
  let bob: Page;

  before(async () => {
    browser = await launchChromium();
    server = await serveOn(0);
    port = server.port;
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('asks for a name once and remembers it', async () => {
    alice = await openPage();
    await waitVisible(alice, '#name-overlay');
    await join(alice, 'Alice');
    assert.equal(await alice.locator('#me').textContent(), 'Alice');
    await alice.reload();
    await online(alice);
    assert.equal(await alice.locator('#name-overlay').isHidden(), true, 'no name prompt after reload');
  });

  it('lets two people chat in a room: each sees the other, and own messages stand apart', async () => {
    await alice.locator('#room-input').fill('Lobby');
    await alice.locator('#room-input').press('Enter');
    await alice.locator('#room-title', { hasText: 'Lobby' }).waitFor();
    await say(alice, 'Hello from Alice');

    bob = await openPage();
    await join(bob, 'Bob');
    // The room list shows the room with its last message.
    const lobby = bob.locator('#rooms .room', { hasText: 'Lobby' });
    await lobby.locator('.room-preview', { hasText: 'Alice: Hello from Alice' }).waitFor();
    await lobby.locator('button').click();
    await bob.locator('.message:not(.mine) .text', { hasText: 'Hello from Alice' }).waitFor();

    await say(bob, 'Hi Alice, Bob here');
    await alice.locator('.message:not(.mine) .text', { hasText: 'Hi Alice, Bob here' }).waitFor();

    // User text is text, never markup.
    const markup = '<b>bold</b><img src=x onerror="window.pwned=1">';
    await say(bob, markup);
    const shown = alice.locator('.message:not(.mine) .text', { hasText: '<b>bold</b>' });
    await shown.waitFor();
    assert.equal(await shown.textContent(), markup);
    assert.equal(await alice.locator('#messages img, #messages b').count(), 0);
    assert.equal(await alice.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
  });

  it('shows the history after a reload, oldest first', async () => {
    await alice.reload();
    await online(alice);
    await alice.locator('#messages .text', { hasText: 'bold' }).waitFor();
    const all = await texts(alice);
    assert.deepEqual(all.slice(0, 2), ['Hello from Alice', 'Hi Alice, Bob here']);
    assert.equal(await alice.locator('.message.mine .text').first().textContent(), 'Hello from Alice');
    assert.equal(await alice.locator('#room-title').textContent(), 'Lobby');

    await bob.reload();
    await online(bob);
    await bob.locator('#messages .text', { hasText: 'Hello from Alice' }).waitFor();
  });

  it('reconnects by itself after the server restarts on the same port', async () => {
    await server.close();
    await alice.locator('#status[data-state="offline"]').waitFor();
    server = await serveOn(port);
    await Promise.all([online(alice), online(bob)]);
    await say(alice, 'Still here after the restart?');
    await bob.locator('.message:not(.mine) .text', { hasText: 'Still here after the restart?' }).waitFor();
    await say(bob, 'Yes!');
    await alice.locator('.message:not(.mine) .text', { hasText: 'Yes!' }).waitFor();
  });

  it('works on a phone-sized screen: rooms first, then the conversation with a way back', async () => {
    const phone = await openPage({ width: 390, height: 760 });
    await join(phone, 'Pocket');
    assert.equal(await phone.locator('.conversation').isVisible(), false);
    await phone.locator('#rooms .room', { hasText: 'Lobby' }).locator('button').click();
    await phone.locator('#messages .text', { hasText: 'Yes!' }).waitFor();
    assert.equal(await phone.locator('.sidebar').isVisible(), false);
    await phone.locator('#back').click();
    await phone.locator('.sidebar').waitFor();
    assert.deepEqual(pageErrors, [], 'no script errors on any page');
  });

  it('takes the screenshot for the docs (SWITCHBOARD_SCREENSHOTS=1)', async (t) => {
    if (process.env.SWITCHBOARD_SCREENSHOTS !== '1') {
      t.diagnostic('set SWITCHBOARD_SCREENSHOTS=1 to refresh docs/chat-page.png');
      return;
    }
    const hub = server.hub;
    await hub.publish('chat', 'kozma', { data: 'Никто не обнимет необъятного!', sender: 'Козьма Прутков' });
    await hub.publish('chat', 'release-notes', { data: 'v0.1.0 is out: four dialects, one hub.' });
    await bob.locator('#rooms .room', { hasText: 'kozma' }).waitFor();
    await say(bob, 'Looks like the server lost the old history: nane keeps it only in memory.');
    await say(alice, 'As promised: «всё тлен». Rooms are cheap, though: type a name on the left.');
    // A publication from a backend (any dialect) lands in the room like any message.
    await hub.publish('chat', 'Lobby', { data: 'Deploy finished in 42 s.', sender: 'deploy-bot' });
    await say(bob, 'Two things I like:\n- Enter sends, Shift+Enter adds a line\n- it reconnects by itself');
    await alice.locator('.message:not(.mine) .text', { hasText: 'Two things' }).waitFor();
    await alice.screenshot({ path: SCREENSHOT.pathname });
  });
});

async function waitVisible(page: Page, selector: string): Promise<void> {
  await page.locator(selector).waitFor({ state: 'visible' });
}
