// The client SDK against a real server: restarts and dropped connections while a backend posts,
// and the application still sees every message the server kept exactly once, in order.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { configSchema } from '../../src/app/config-schema.js';
import { type RunningServer, startServer } from '../../src/app/server.js';
import type { SiteClientError } from '../../src/client/errors.js';
import { SiteClient } from '../../src/client/site-client.js';
import type { StateChange, Subscription } from '../../src/client/types.js';
import { launchChromium } from '../helpers/browser.js';
import { get, post } from '../helpers/http.js';
import { TEST_NAMESPACE } from '../helpers/server.js';

// History large enough for every message of a test, so a resuming client can always catch up.
const NAMESPACES = { demo: { ...TEST_NAMESPACE, history_size: 1000 } };
const TOTAL = 1000;

/** A server on `port` (0: any). startTestServer always picks a new port; a restart needs the old one. */
function startOn(port: number): Promise<RunningServer> {
  const config = configSchema.parse({ namespaces: NAMESPACES, listen: { host: '127.0.0.1', port } });
  return startServer(config, { logger: pino({ level: process.env.SWITCHBOARD_TEST_LOG ?? 'silent' }) });
}

const hmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest('base64');

async function fetchToken(base: string): Promise<string> {
  const res = await get(`${base}/token?site=demo`);
  assert.equal(res.status, 200, res.text);
  return res.body.token;
}

/** What a site's backend does for its browsers: a token and the channel's subscribe auth. */
function backendAuth(base: string, calls: string[] = []) {
  return async (channel: string) => {
    calls.push(channel);
    const token = await fetchToken(base);
    return { token, auth: hmac(TEST_NAMESPACE.secret, channel + token) };
  };
}

/** A backend posting `{n}` messages one after another, each answered 200 before the next. */
async function postRange(base: string, channel: string, from: number, to: number): Promise<void> {
  const token = await fetchToken(base);
  const auth = hmac(TEST_NAMESPACE.post_secret, token);
  for (let n = from; n < to; n++) {
    const res = await post(`${base}/post?site=demo`, { channel, message: { n }, token, auth });
    assert.equal(res.status, 200, res.text);
  }
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Received {
  n: number;
  ord: number;
}

/** Every message exactly once, in posting order, with increasing ords. */
function assertExactlyOnceInOrder(received: Received[], total: number): void {
  assert.equal(received.length, total);
  assert.deepEqual(
    received.map((m) => m.n),
    Array.from({ length: total }, (_, i) => i),
  );
  for (let i = 1; i < received.length; i++) {
    assert.ok(
      received[i]!.ord > received[i - 1]!.ord,
      `ord ${received[i]!.ord} after ${received[i - 1]!.ord}`,
    );
  }
}

function watch(client: SiteClient) {
  const states: StateChange[] = [];
  const errors: SiteClientError[] = [];
  client.on('state', (s) => states.push(s));
  client.on('error', (e) => errors.push(e));
  return { states, errors };
}

describe('SiteClient against a real server', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it('receives all 1,000 posts exactly once, in order, across two server restarts', async () => {
    let server = await startOn(0);
    const port = server.port;
    cleanup.push(() => server.close());
    const base = `http://127.0.0.1:${port}`;
    const authCalls: string[] = [];
    // The test holds resubscribes at this gate after each restart, so the first posts of a batch
    // certainly reach the client only through the history it resumes from.
    let gate: Promise<void> = Promise.resolve();
    let openGate: () => void = () => undefined;
    const fetchAuth = backendAuth(base, authCalls);
    const client = new SiteClient({
      url: `ws://127.0.0.1:${port}/ws?site=demo`,
      WebSocket,
      getAuth: async (channel) => {
        await gate;
        return fetchAuth(channel);
      },
      backoff: { initialMs: 20, maxMs: 250 },
    });
    cleanup.push(() => client.close());
    const { states, errors } = watch(client);
    const received: Received[] = [];
    const sub = await client.subscribe<{ n: number }>('feed', (body, { ord }) =>
      received.push({ n: body.n, ord }),
    );

    // Three batches, one per server life. After a restart the first 100 posts of a batch go out
    // while the client's resubscribe is held, the rest while it resumes; the next restart comes
    // only once the client has everything (a memory engine forgets all history when it stops).
    const batches = [0, 334, 667, TOTAL];
    for (let b = 0; b < 3; b++) {
      const [from, to] = [batches[b]!, batches[b + 1]!];
      if (b === 0) await postRange(base, 'feed', from, to);
      else {
        await postRange(base, 'feed', from, from + 100);
        openGate();
        await postRange(base, 'feed', from + 100, to);
      }
      await until(() => received.length === to, `batch ${b}`);
      if (b < 2) {
        gate = new Promise<void>((resolve) => {
          openGate = resolve;
        });
        await server.close();
        server = await startOn(port);
      }
    }
    assertExactlyOnceInOrder(received, TOTAL);
    const restarts = states.filter((s) => s.state === 'reconnecting' && s.code === 1012);
    assert.equal(restarts.length, 2);
    assert.ok(authCalls.length >= 3, 'a fresh token for the first subscribe and each resume');
    assert.deepEqual(errors, []);
    assert.equal(sub.lastOrd, received.at(-1)!.ord);
    await client.close();
    assert.equal(client.state, 'closed');
  });

  it('loses nothing and repeats nothing when only its connection is dropped while posts go on', async () => {
    const server = await startOn(0);
    cleanup.push(() => server.close());
    const client = new SiteClient({
      url: `ws://127.0.0.1:${server.port}/ws?site=demo`,
      WebSocket,
      getAuth: backendAuth(server.url),
      backoff: { initialMs: 10, maxMs: 100 },
    });
    cleanup.push(() => client.close());
    const { states, errors } = watch(client);
    const gaps: unknown[] = [];
    client.on('gap', (g) => gaps.push(g));
    const received: Received[] = [];
    const sub: Subscription = await client.subscribe<{ n: number }>('live', (body, { ord }) =>
      received.push({ n: body.n, ord }),
    );

    // Kick the client at three points of the stream, each time with a different close code, and
    // keep posting right away: what is posted while it is away must come from the history.
    const kicks = [
      { at: 250, code: 1000 },
      { at: 500, code: 1011 },
      { at: 750, code: 4001 },
    ];
    let from = 0;
    for (const kick of kicks) {
      await postRange(server.url, 'live', from, kick.at);
      from = kick.at;
      await until(() => sub.active, 'the subscription to be active');
      const siteConns = [...server.hub.localConnections()].filter((c) => c.dialect === 'site');
      assert.equal(siteConns.length, 1);
      const reply = await server.hub.disconnect(siteConns[0]!.id, kick.code, 'test kick');
      assert.deepEqual(reply, { ok: true });
    }
    await postRange(server.url, 'live', from, TOTAL);
    await until(() => received.length === TOTAL, 'all messages');

    assertExactlyOnceInOrder(received, TOTAL);
    // One server, one channel: ords are contiguous, so any loss would also show as a gap.
    assert.equal(received.at(-1)!.ord - received[0]!.ord, TOTAL - 1);
    assert.deepEqual(gaps, []);
    const drops = states.filter((s) => s.state === 'reconnecting').map((s) => s.code);
    assert.deepEqual(drops, [1000, 1011, 4001]);
    assert.deepEqual(errors, []);
  });

  it('rejects a subscribe the server refuses, and the connection stays usable', async () => {
    const server = await startOn(0);
    cleanup.push(() => server.close());
    const client = new SiteClient({
      url: `ws://127.0.0.1:${server.port}/ws?site=demo`,
      WebSocket,
      getAuth: async (channel) => {
        const token = await fetchToken(server.url);
        const secret = channel === 'forbidden' ? 'wrong-secret' : TEST_NAMESPACE.secret;
        return { token, auth: hmac(secret, channel + token) };
      },
    });
    cleanup.push(() => client.close());
    await assert.rejects(
      client.subscribe('forbidden', () => undefined),
      (e: SiteClientError) => {
        assert.equal(e.kind, 'server');
        assert.equal(e.serverCode, 'bad_auth');
        assert.equal(e.message, 'auth does not match: expected base64(hmac256(secret, channel + token))');
        return true;
      },
    );
    const got: unknown[] = [];
    await client.subscribe('news', (body) => got.push(body), { after: -1 });
    await postRange(server.url, 'news', 0, 2);
    await until(() => got.length === 2, 'two messages');
    assert.deepEqual(got, [{ n: 0 }, { n: 1 }]);
    assert.equal(client.state, 'connected');
  });
});

// The compiled SDK, served to the page as ES modules exactly as a bundler-free app would load it.
const SDK_DIR = new URL('../../src/client/', import.meta.url); // from dist/test/protocol/

describe('SiteClient in Chromium (native WebSocket)', () => {
  it("resumes across a server restart with the browser's own WebSocket and nothing from Node", async () => {
    const browser = await launchChromium();
    let server = await startOn(0);
    const port = server.port;
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      // The page is a document of the server's own loopback origin (Chromium's local-network
      // checks block a page from elsewhere from opening ws://127.0.0.1); the SDK's files are
      // served to it from here.
      await page.route('**/sdk-test/*.js', (route) => {
        const name = new URL(route.request().url()).pathname.replace('/sdk-test/', '');
        if (!/^[\w-]+\.js$/.test(name)) return route.fulfill({ status: 404, body: '' });
        return route.fulfill({
          contentType: 'text/javascript',
          body: readFileSync(new URL(name, SDK_DIR), 'utf8'),
        });
      });
      // The site's backend, reached from the page as it would be over its own HTTP API.
      await page.exposeFunction('backendAuth', async (channel: string) => backendAuth(server.url)(channel));
      await page.goto(`${server.url}/token?site=demo`);
      await page.evaluate(async (wsUrl) => {
        const entry = '/sdk-test/index.js';
        const { SiteClient } = await import(entry);
        const w = window as unknown as Record<string, unknown>;
        w.received = [];
        w.states = [];
        const client = new SiteClient({
          url: wsUrl,
          getAuth: w.backendAuth,
          backoff: { initialMs: 50, maxMs: 300 },
        });
        client.on('state', (s: { state: string; code?: number }) => (w.states as unknown[]).push(s));
        w.client = client;
        // Bounded, so a page that cannot connect fails the test with its states instead of hanging it.
        const subscribed = client.subscribe('browser', (body: { n: number }) =>
          (w.received as number[]).push(body.n),
        );
        const stuck = new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`not subscribed: ${JSON.stringify(w.states)}`)), 20_000),
        );
        await Promise.race([subscribed, stuck]);
      }, `ws://127.0.0.1:${port}/ws?site=demo`);

      const count = () => page.evaluate(() => (window as unknown as { received: number[] }).received.length);
      const waitFor = async (n: number) => {
        const deadline = Date.now() + 20_000;
        while ((await count()) < n) {
          assert.ok(Date.now() < deadline, `the page received ${await count()} of ${n}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await postRange(server.url, 'browser', 0, 50);
      await waitFor(50);
      await server.close();
      server = await startOn(port);
      await postRange(server.url, 'browser', 50, 100);
      await waitFor(100);

      const { received, states } = await page.evaluate(() => {
        const w = window as unknown as { received: number[]; states: { state: string; code?: number }[] };
        return { received: w.received, states: w.states };
      });
      assert.deepEqual(
        received,
        Array.from({ length: 100 }, (_, i) => i),
      );
      assert.ok(states.some((s) => s.state === 'reconnecting' && s.code === 1012));
      await page.evaluate(() => (window as unknown as { client: { close(): Promise<void> } }).client.close());
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
