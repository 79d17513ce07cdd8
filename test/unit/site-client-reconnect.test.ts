import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SiteClientError } from '../../src/client/errors.js';
import { SiteClient } from '../../src/client/site-client.js';
import type { SiteClientOptions, StateChange } from '../../src/client/types.js';
import { FakeSocket, tick, until } from './site-client-fake-socket.js';

const URL = 'ws://example.test/ws?site=demo';

interface Harness {
  client: SiteClient;
  states: StateChange[];
  errors: SiteClientError[];
  authCalls: string[];
  received: { body: unknown; ord: number; channel: string }[];
}

function harness(options: Partial<SiteClientOptions> = {}): Harness {
  const authCalls: string[] = [];
  const client = new SiteClient({
    url: URL,
    WebSocket: FakeSocket,
    getAuth: async (channel) => {
      authCalls.push(channel);
      return { token: `t${authCalls.length}`, auth: `a-${channel}-${authCalls.length}` };
    },
    backoff: { initialMs: 5, maxMs: 40, factor: 2, jitter: 0.5 },
    random: () => 0,
    ...options,
  });
  const h: Harness = { client, states: [], errors: [], authCalls, received: [] };
  client.on('state', (s) => h.states.push(s));
  client.on('error', (e) => h.errors.push(e));
  return h;
}

/** Subscribe `channel` on the open fake socket and answer the subscribe with ok. */
async function subscribed(h: Harness, channel = 'news', after?: number) {
  const p = h.client.subscribe(channel, (body, meta) => h.received.push({ body, ...meta }), { after });
  if (FakeSocket.instances.length === 0) await until(() => FakeSocket.instances.length > 0);
  const socket = FakeSocket.last;
  if (socket.readyState === 0) socket.open();
  await until(() => socket.requests('subscribe').some((r) => r.body.channel === channel));
  const req = socket
    .requests('subscribe')
    .filter((r) => r.body.channel === channel)
    .at(-1)!;
  socket.ok(req.req_id);
  return { sub: await p, socket, req };
}

/** After a drop: wait for the next socket, open it and return its (single) subscribe request. */
async function reopened(count: number) {
  await until(() => FakeSocket.instances.length === count);
  const socket = FakeSocket.last;
  socket.open();
  await until(() => socket.requests('subscribe').length > 0);
  return { socket, req: socket.requests('subscribe')[0]! };
}

describe('SiteClient with a fake socket', () => {
  let h: Harness;
  beforeEach(() => FakeSocket.reset());
  afterEach(() => h?.client.close());

  it('subscribes with getAuth credentials and delivers messages with their ord', async () => {
    h = harness();
    const { sub, socket, req } = await subscribed(h);
    assert.equal(socket.url, URL);
    assert.deepEqual(req.body, { channel: 'news', after: 0, token: 't1', auth: 'a-news-1' });
    assert.equal(typeof req.req_id, 'string');
    assert.equal(sub.active, true);
    socket.message('news', 11, { a: 1 });
    socket.message('news', 12, 'two');
    socket.message('other', 13, 'not ours');
    assert.deepEqual(h.received, [
      { body: { a: 1 }, channel: 'news', ord: 11 },
      { body: 'two', channel: 'news', ord: 12 },
    ]);
    assert.equal(sub.lastOrd, 12);
    assert.deepEqual(
      h.states.map((s) => s.state),
      ['connecting', 'connected'],
    );
  });

  it('delivers a backlog that arrives in the same tick as the ok', async () => {
    h = harness();
    const p = h.client.subscribe('news', (body, meta) => h.received.push({ body, ...meta }), { after: 5 });
    await until(() => FakeSocket.instances.length === 1);
    const socket = FakeSocket.last;
    socket.open();
    await until(() => socket.requests('subscribe').length === 1);
    socket.ok(socket.requests('subscribe')[0]!.req_id);
    socket.message('news', 5, 'at after: not again');
    socket.message('news', 6, 'six');
    await p;
    assert.deepEqual(
      h.received.map((m) => m.ord),
      [6],
    );
  });

  it('reconnects after 1012 and resumes with the last delivered ord and a fresh token, dropping replays', async () => {
    h = harness();
    const { socket } = await subscribed(h);
    socket.message('news', 100, 'a');
    socket.message('news', 101, 'b');
    socket.serverClose(1012, 'server restarting');
    const reconnecting = h.states.at(-1)!;
    assert.equal(reconnecting.state, 'reconnecting');
    assert.equal(reconnecting.code, 1012);
    assert.equal(reconnecting.delayMs, 5);

    const { socket: second, req } = await reopened(2);
    assert.deepEqual(req.body, { channel: 'news', after: 101, token: 't2', auth: 'a-news-2' });
    second.message('news', 102, 'before the ok: dropped');
    second.ok(req.req_id);
    second.message('news', 100, 'a');
    second.message('news', 101, 'b');
    second.message('news', 102, 'c');
    second.message('news', 102, 'c again');
    second.message('news', 103, 'd');
    assert.deepEqual(
      h.received.map((m) => m.body),
      ['a', 'b', 'c', 'd'],
    );
    assert.deepEqual(h.authCalls, ['news', 'news']);
  });

  it('backs off exponentially while connections fail, and resets once one works', async () => {
    h = harness();
    const ready = h.client.connect();
    for (let i = 1; i <= 4; i++) {
      await until(() => FakeSocket.instances.length === i);
      FakeSocket.last.serverClose(1006);
    }
    const delays = h.states.filter((s) => s.state === 'reconnecting').map((s) => [s.attempt, s.delayMs]);
    assert.deepEqual(delays, [
      [1, 5],
      [2, 10],
      [3, 20],
      [4, 40],
    ]);
    await until(() => FakeSocket.instances.length === 5);
    FakeSocket.last.open();
    await ready;
    FakeSocket.last.serverClose(1013, 'slow consumer');
    assert.deepEqual(h.states.at(-1), {
      state: 'reconnecting',
      attempt: 1,
      delayMs: 5,
      code: 1013,
      reason: 'slow consumer',
    });
  });

  it('rejects a refused first subscribe and forgets it', async () => {
    h = harness();
    const p = h.client.subscribe('news', () => undefined);
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.last.open();
    await until(() => FakeSocket.last.requests('subscribe').length === 1);
    FakeSocket.last.receive({
      response: 'error',
      req_id: FakeSocket.last.requests('subscribe')[0]!.req_id,
      body: 'auth does not match: expected base64(hmac256(secret, channel + token))',
    });
    await assert.rejects(p, (e: SiteClientError) => {
      assert.equal(e.kind, 'server');
      assert.equal(e.serverCode, 'bad_auth');
      assert.equal(e.channel, 'news');
      return true;
    });
    // Forgotten: the same channel can be subscribed again.
    const again = await subscribed(h);
    assert.equal(again.sub.active, true);
  });

  it('rejects when getAuth fails the first time', async () => {
    h = harness({
      getAuth: () => {
        throw new Error('backend down');
      },
    });
    const p = h.client.subscribe('news', () => undefined);
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.last.open();
    await assert.rejects(p, /getAuth failed for channel news: backend down/);
    assert.equal(FakeSocket.last.requests('subscribe').length, 0);
  });

  it('a refused resubscribe is reported and retried on its own backoff, not in a hot loop', async () => {
    h = harness();
    const { socket } = await subscribed(h);
    socket.message('news', 7, 'x');
    socket.serverClose(1006);
    const { socket: second, req } = await reopened(2);
    const expired = 'token has expired: get a new one from /token';
    second.receive({ response: 'error', req_id: req.req_id, body: expired });
    assert.equal(h.errors.length, 1);
    assert.equal(h.errors[0]!.serverCode, 'expired_token');
    assert.equal(h.errors[0]!.channel, 'news');
    // No immediate retry: the next subscribe comes only after the retry delay.
    await tick();
    assert.equal(second.requests('subscribe').length, 1);
    await until(() => second.requests('subscribe').length === 2);
    const retry = second.requests('subscribe')[1]!;
    assert.equal(retry.body.after, 7);
    second.receive({ response: 'error', req_id: retry.req_id, body: expired });
    await until(() => second.requests('subscribe').length === 3);
    second.ok(second.requests('subscribe')[2]!.req_id);
    second.message('news', 8, 'y');
    assert.deepEqual(
      h.received.map((m) => m.ord),
      [7, 8],
    );
    assert.equal(h.errors.length, 2);
    // The connection itself was never dropped for it.
    assert.equal(FakeSocket.instances.length, 2);
  });

  it('reports a gap when ords jump, and keeps delivering', async () => {
    h = harness();
    const gaps: unknown[] = [];
    h.client.on('gap', (g) => gaps.push(g));
    const { socket } = await subscribed(h);
    socket.message('news', 10, 1);
    socket.message('news', 11, 2);
    socket.message('news', 15, 3);
    assert.deepEqual(gaps, [{ channel: 'news', after: 11, ord: 15 }]);
    assert.equal(h.received.length, 3);
  });

  it('a throwing handler is reported and does not stop delivery', async () => {
    h = harness();
    const seen: number[] = [];
    const p = h.client.subscribe('news', (_b, { ord }) => {
      seen.push(ord);
      if (ord === 1) throw new Error('app bug');
    });
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.last.open();
    await until(() => FakeSocket.last.requests('subscribe').length === 1);
    FakeSocket.last.ok(FakeSocket.last.requests('subscribe')[0]!.req_id);
    await p;
    FakeSocket.last.message('news', 1, 'a');
    FakeSocket.last.message('news', 2, 'b');
    assert.deepEqual(seen, [1, 2]);
    assert.equal(h.errors[0]?.kind, 'handler');
  });

  it('unsubscribe stops delivery at once and tells the server', async () => {
    h = harness();
    const { sub, socket } = await subscribed(h);
    const done = sub.unsubscribe();
    socket.message('news', 1, 'late');
    const req = socket.requests('unsubscribe')[0]!;
    assert.deepEqual(req.body, { channel: 'news' });
    socket.ok(req.req_id);
    await done;
    assert.deepEqual(h.received, []);
    assert.equal(sub.active, false);
    // Not resubscribed after a reconnect.
    socket.serverClose(1006);
    await until(() => FakeSocket.instances.length === 2);
    FakeSocket.last.open();
    await tick(5);
    assert.equal(FakeSocket.last.requests('subscribe').length, 0);
  });

  it('close() is final: no reconnect, later subscribes reject', async () => {
    h = harness();
    const { socket } = await subscribed(h);
    await h.client.close();
    assert.equal(socket.closedWith?.code, 1000);
    assert.equal(h.client.state, 'closed');
    await tick(20);
    assert.equal(FakeSocket.instances.length, 1);
    await assert.rejects(
      h.client.subscribe('x', () => undefined),
      /closed/,
    );
  });

  it('shouldReconnect can refuse a reconnect', async () => {
    h = harness({ shouldReconnect: ({ code }) => code !== 4403 });
    await subscribed(h);
    FakeSocket.last.serverClose(4403, 'kicked');
    assert.deepEqual(h.states.at(-1), { state: 'closed', code: 4403, reason: 'kicked' });
    await tick(20);
    assert.equal(FakeSocket.instances.length, 1);
  });

  it('an unanswered request drops the connection and the subscription resumes on a new one', async () => {
    h = harness({ requestTimeoutMs: 20 });
    const p = h.client.subscribe('news', () => undefined, { after: 3 });
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.last.open();
    const { socket, req } = await reopened(2);
    assert.equal(FakeSocket.instances[0]!.closedWith?.code, 4000);
    assert.equal(req.body.after, 3);
    socket.ok(req.req_id);
    assert.equal((await p).active, true);
  });

  it('a subscribe made while reconnecting goes out on the next connection', async () => {
    h = harness();
    const connected = h.client.connect();
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.last.open();
    await connected;
    FakeSocket.last.serverClose(1012, 'server restarting');
    assert.equal(h.client.state, 'reconnecting');
    const p = h.client.subscribe('late', () => undefined);
    const { socket, req } = await reopened(2);
    assert.deepEqual(req.body.channel, 'late');
    socket.ok(req.req_id);
    assert.equal((await p).active, true);
  });

  it('hands frames in neither site shape to raw listeners; close() rejects a pending connect()', async () => {
    h = harness();
    const raw: unknown[] = [];
    h.client.on('raw', (d) => raw.push(d));
    const connected = h.client.connect();
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.last.open();
    await connected;
    FakeSocket.last.receive('{"from":"a backend"}');
    FakeSocket.last.receive('plain text');
    assert.deepEqual(raw, ['{"from":"a backend"}', 'plain text']);
    FakeSocket.last.serverClose(1006);
    const again = h.client.connect();
    await h.client.close();
    await assert.rejects(again, (e: SiteClientError) => e.kind === 'closed');
  });

  it('refuses a second subscription to one channel and bad arguments', async () => {
    h = harness();
    await subscribed(h);
    await assert.rejects(
      h.client.subscribe('news', () => undefined),
      /already subscribed to channel news/,
    );
    await assert.rejects(
      h.client.subscribe('', () => undefined),
      /non-empty/,
    );
    await assert.rejects(
      h.client.subscribe('x', () => undefined, { after: -2 }),
      /after must be/,
    );
    assert.throws(
      () => new SiteClient({ url: 'http://x/ws', getAuth: async () => ({ token: '', auth: '' }) }),
      /ws:\/\//,
    );
  });
});
