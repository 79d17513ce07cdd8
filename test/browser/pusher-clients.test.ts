// pusher-js and Laravel Echo (its Pusher connector) in Chromium against the pusher dialect. The
// page runs the real npm packages, bundled here with esbuild; their auth endpoints are a backend
// written with the `pusher` server SDK. Connect, public/private/presence channels, server events,
// client events (Echo's whisper), presence joins and leaves, and reconnecting after a restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { configSchema } from '../../src/app/config-schema.js';
import { type RunningServer, startServer } from '../../src/app/server.js';
import { launchChromium } from '../helpers/browser.js';
import { type PusherBackend, startPusherBackend } from '../helpers/pusher-backend.js';
import { APP, PUSHER_NAMESPACES } from '../protocol/pusher-fixtures.js';

const WAIT_MS = 15_000;
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** pusher-js (its browser build, the package's `browser` field) and laravel-echo as page globals. */
async function bundleClients(): Promise<string> {
  const out = await build({
    stdin: {
      contents:
        "import Pusher from 'pusher-js'; import Echo from 'laravel-echo';" +
        ' window.Pusher = Pusher; window.Echo = Echo;',
      resolveDir: ROOT,
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/** What a page records: its clients' socket ids and every event they heard, in order. */
interface PageLog {
  sockets: Record<string, string>;
  events: { who: string; what: string; data: unknown }[];
  states: Record<string, string>;
}

/** The settings pusher-js and Echo need to reach a self-hosted server instead of Pusher's. */
function clientOptions(port: number, backendUrl: string) {
  return {
    cluster: '',
    wsHost: '127.0.0.1',
    wsPort: port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    authEndpoint: `${backendUrl}/broadcasting/auth`,
  };
}

describe('pusher-js and Laravel Echo in Chromium', () => {
  const logger = pino({ level: 'silent' });
  const config = (port: number) =>
    configSchema.parse({ namespaces: PUSHER_NAMESPACES, listen: { host: '127.0.0.1', port } });
  let server: RunningServer;
  let port: number;
  let backend: PusherBackend;
  let browser: Browser;
  let bundle: string;
  const pageErrors: string[] = [];

  before(async () => {
    server = await startServer(config(0), { logger });
    port = server.port;
    backend = await startPusherBackend(server.url, APP);
    [browser, bundle] = await Promise.all([launchChromium(), bundleClients()]);
  });
  after(async () => {
    await browser?.close();
    await backend?.close();
    await server?.close();
  });

  /** A page of the server's origin with both libraries loaded and the backend's user table. */
  async function openPage(): Promise<Page> {
    const page = await browser.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.url}/healthz`);
    await page.addScriptTag({ content: bundle });
    // The app's backend decides who a socket is (here: what the page asks for).
    await page.exposeFunction('identify', (socketId: string, userId: string, name: string) => {
      backend.users.set(socketId, { user_id: userId, user_info: { name } });
    });
    await page.evaluate(() => {
      (window as any).log = { sockets: {}, events: [], states: {} } satisfies PageLog;
    });
    return page;
  }

  const log = (page: Page): Promise<PageLog> => page.evaluate(() => (window as any).log as PageLog);

  /** Wait until the page heard `what` by `who` (`count` times). */
  async function heard(page: Page, who: string, what: string, count = 1, ms = WAIT_MS): Promise<unknown[]> {
    await page.waitForFunction(
      ([w, e, n]) =>
        ((window as any).log as PageLog).events.filter((x) => x.who === w && x.what === e).length >= n,
      [who, what, count] as const,
      { timeout: ms },
    );
    return (await log(page)).events.filter((x) => x.who === who && x.what === what).map((x) => x.data);
  }

  /** pusher-js on the page as `who` (user `who` on presence channels), connected. */
  async function pusherJs(page: Page, who: string): Promise<string> {
    return page.evaluate(
      async ([w, options]) => {
        const win = window as any;
        const l = win.log as PageLog;
        const p = new win.Pusher('app-key', options);
        win[`pusher_${w}`] = p;
        p.connection.bind('state_change', (s: { current: string }) => {
          l.states[w] = s.current;
        });
        await new Promise<void>((resolve) => p.connection.bind('connected', () => resolve()));
        await win.identify(p.connection.socket_id, w, `Name of ${w}`);
        l.sockets[w] = p.connection.socket_id;
        const record = (what: string) => (data: unknown) => l.events.push({ who: w, what, data });
        for (const name of ['public-news', 'private-room', 'presence-hall']) {
          const ch = p.subscribe(name);
          ch.bind('pusher:subscription_succeeded', (d: unknown) =>
            record(`${name}:subscribed`)(name.startsWith('presence-') ? (d as any).count : d),
          );
          ch.bind('pusher:subscription_error', record(`${name}:error`));
          ch.bind('headline', record(`${name}:headline`));
          ch.bind('client-typing', record(`${name}:client-typing`));
          ch.bind('pusher:member_added', (m: { id: string; info: unknown }) =>
            record(`${name}:member_added`)({ id: m.id, info: m.info }),
          );
          ch.bind('pusher:member_removed', (m: { id: string }) => record(`${name}:member_removed`)(m.id));
        }
        return p.connection.socket_id as string;
      },
      [who, clientOptions(port, backend.url)] as const,
    );
  }

  /** Laravel Echo on the page as `who`: `news`, `private-orders` and presence `lobby` as Laravel names them. */
  async function echo(page: Page, who: string): Promise<string> {
    return page.evaluate(
      async ([w, options]) => {
        const win = window as any;
        const l = win.log as PageLog;
        const e = new win.Echo({ broadcaster: 'pusher', key: 'app-key', ...options });
        win[`echo_${w}`] = e;
        const conn = e.connector.pusher.connection;
        conn.bind('state_change', (s: { current: string }) => {
          l.states[w] = s.current;
        });
        await new Promise<void>((resolve) => {
          if (conn.state === 'connected') resolve();
          else conn.bind('connected', () => resolve());
        });
        await win.identify(e.socketId(), w, `Name of ${w}`);
        l.sockets[w] = e.socketId();
        const record = (what: string) => (data: unknown) => l.events.push({ who: w, what, data });
        e.channel('news').listen('.headline', record('news:headline'));
        // Laravel's broadcast events are named by class: App\Events\OrderShipped.
        e.private('orders')
          .subscribed(() => record('orders:subscribed')(null))
          .listen('OrderShipped', record('orders:OrderShipped'))
          .listenForWhisper('typing', record('orders:whisper'));
        e.join('lobby')
          // After a reconnect the backend knows the new socket by no name: its info is null.
          .here((users: ({ name: string } | null)[]) =>
            record('lobby:here')(users.map((u) => u?.name ?? null).sort()),
          )
          .joining((u: { name: string } | null) => record('lobby:joining')(u?.name ?? null))
          .leaving((u: { name: string } | null) => record('lobby:leaving')(u?.name ?? null))
          .error(record('lobby:error'));
        return e.socketId() as string;
      },
      [who, clientOptions(port, backend.url)] as const,
    );
  }

  it('pusher-js: subscribes through the auth endpoint, receives events, client events and presence', async () => {
    const a = await openPage();
    const b = await openPage();
    try {
      assert.match(await pusherJs(a, 'ann'), /^\d+\.\d+$/);
      for (const ch of ['public-news', 'private-room', 'presence-hall'])
        await heard(a, 'ann', `${ch}:subscribed`);
      await pusherJs(b, 'bob');
      assert.deepEqual(await heard(b, 'bob', 'presence-hall:subscribed'), [2]);
      assert.deepEqual(await heard(a, 'ann', 'presence-hall:member_added'), [
        { id: 'bob', info: { name: 'Name of bob' } },
      ]);
      await heard(b, 'bob', 'private-room:subscribed');

      await backend.sdk.trigger(['public-news', 'private-room'], 'headline', { title: 'hello' });
      for (const [page, who] of [
        [a, 'ann'],
        [b, 'bob'],
      ] as const) {
        assert.deepEqual(await heard(page, who, 'public-news:headline'), [{ title: 'hello' }]);
        assert.deepEqual(await heard(page, who, 'private-room:headline'), [{ title: 'hello' }]);
      }

      const sent = await a.evaluate(() =>
        (window as any).pusher_ann.channel('private-room').trigger('client-typing', { by: 'ann' }),
      );
      assert.equal(sent, true);
      assert.deepEqual(await heard(b, 'bob', 'private-room:client-typing'), [{ by: 'ann' }]);
      // The sender is not echoed: a later server event reaches it first and alone.
      await backend.sdk.trigger('private-room', 'headline', { title: 'after' });
      await heard(a, 'ann', 'private-room:headline', 2);
      assert.equal((await log(a)).events.filter((e) => e.what === 'private-room:client-typing').length, 0);

      await b.close(); // the tab goes away: bob's only connection
      assert.deepEqual(await heard(a, 'ann', 'presence-hall:member_removed'), ['bob']);
      const errors = (await log(a)).events.filter((e) => e.what.endsWith(':error'));
      assert.deepEqual(errors, []);
    } finally {
      await a.close();
      if (!b.isClosed()) await b.close();
    }
    assert.deepEqual(pageErrors, []);
  });

  it('Laravel Echo: private channel events by class name, whispers, and here/joining/leaving', async () => {
    const a = await openPage();
    const b = await openPage();
    try {
      await echo(a, 'ann');
      await heard(a, 'ann', 'orders:subscribed');
      assert.deepEqual(await heard(a, 'ann', 'lobby:here'), [['Name of ann']]);
      await echo(b, 'bob');
      assert.deepEqual(await heard(b, 'bob', 'lobby:here'), [['Name of ann', 'Name of bob']]);
      assert.deepEqual(await heard(a, 'ann', 'lobby:joining'), ['Name of bob']);
      await heard(b, 'bob', 'orders:subscribed');

      // What Laravel's Pusher broadcaster sends for `broadcast(new OrderShipped($order))`.
      await backend.sdk.trigger('private-orders', 'App\\Events\\OrderShipped', { order: { id: 7 } });
      assert.deepEqual(await heard(a, 'ann', 'orders:OrderShipped'), [{ order: { id: 7 } }]);
      assert.deepEqual(await heard(b, 'bob', 'orders:OrderShipped'), [{ order: { id: 7 } }]);
      await backend.sdk.trigger('news', 'headline', { title: 'public' });
      assert.deepEqual(await heard(b, 'bob', 'news:headline'), [{ title: 'public' }]);

      await b.evaluate(() => (window as any).echo_bob.private('orders').whisper('typing', { by: 'bob' }));
      assert.deepEqual(await heard(a, 'ann', 'orders:whisper'), [{ by: 'bob' }]);

      await b.evaluate(() => (window as any).echo_bob.leave('lobby'));
      assert.deepEqual(await heard(a, 'ann', 'lobby:leaving'), ['Name of bob']);
      assert.deepEqual(
        (await log(a)).events.filter((e) => e.what === 'lobby:error'),
        [],
      );
    } finally {
      await a.close();
      await b.close();
    }
    assert.deepEqual(pageErrors, []);
  });

  it('both reconnect on their own after a server restart and resubscribe', async () => {
    const page = await openPage();
    try {
      const before = { p: await pusherJs(page, 'pj'), e: await echo(page, 'ec') };
      await heard(page, 'pj', 'private-room:subscribed');
      await heard(page, 'ec', 'orders:subscribed');
      await server.close();
      await page.waitForFunction(() => {
        const s = ((window as any).log as PageLog).states;
        return s.pj !== 'connected' && s.ec !== 'connected';
      });
      server = await startServer(config(port), { logger });
      // pusher-js waits out its own back-off (the server was gone for a while): not timed here.
      await heard(page, 'pj', 'private-room:subscribed', 2, 40_000);
      await heard(page, 'ec', 'orders:subscribed', 2, 40_000);
      // Its presence channel too, as a member again.
      await heard(page, 'ec', 'lobby:here', 2, 40_000);
      const now = await page.evaluate(() => ({
        p: (window as any).pusher_pj.connection.socket_id as string,
        e: (window as any).echo_ec.socketId() as string,
      }));
      assert.notEqual(now.p, before.p);
      assert.notEqual(now.e, before.e);
      await backend.sdk.trigger('private-room', 'headline', { n: 2 });
      await backend.sdk.trigger('private-orders', 'App\\Events\\OrderShipped', { n: 2 });
      assert.deepEqual(await heard(page, 'pj', 'private-room:headline'), [{ n: 2 }]);
      assert.deepEqual(await heard(page, 'ec', 'orders:OrderShipped'), [{ n: 2 }]);
    } finally {
      await page.close();
    }
    assert.deepEqual(pageErrors, []);
  });
});
