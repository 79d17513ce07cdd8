// The fan-out fast path: per-turn corking and pre-framed frames written straight to the
// TCP socket. What a client sees must not change: the same bytes as ws.send of the same rendering,
// every message once and in order under coalescing, and the slow-consumer cut still happening.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { Connection } from '../../src/core/connection.js';
import type { Publication, PublishInput } from '../../src/core/types.js';
import { renderMessage } from '../../src/dialects/chat/codec.js';
import { renderRawFrame } from '../../src/dialects/mesh/codec.js';
import { renderPublication } from '../../src/dialects/rocket/codec.js';
import { encodeMessage } from '../../src/dialects/site/codec.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

// ws's framing of a message, exactly what ws.send writes (untyped in @types/ws).
type FrameOptions = { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean };
const { Sender } = createRequire(import.meta.url)('ws') as {
  Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] };
};
const slowPathBytes = (data: Buffer, binary: boolean) =>
  Buffer.concat(
    Sender.frame(data, { fin: true, opcode: binary ? 2 : 1, mask: false, readOnly: true, rsv1: false }),
  );

const NS = 'app';
const CHANNEL = 'news';

/** Each dialect's rendering of a publication, as its page under docs/protocol/ defines it (binary or text). */
const RENDERINGS: Record<string, (p: Publication) => { data: Buffer; binary: boolean }> = {
  site: (p) => ({ data: encodeMessage(p), binary: false }),
  rocket: (p) => ({ data: renderPublication(p), binary: false }),
  chat: (p) => ({ data: Buffer.from(renderMessage(p, NS, true)), binary: false }),
  gateway: (p) => renderRawFrame(p),
};

const PATHS: Record<string, string> = {
  site: `/ws?site=${NS}`,
  rocket: '/app',
  chat: '/ws?username=reader',
  gateway: `/client?site=${NS}`,
};

interface Tapped {
  dialect: string;
  client: RawClient;
  conn: Connection;
  /** Every byte the client's TCP socket received, in order. */
  wire: Buffer[];
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Connect, find the hub's Connection for it and tap the raw bytes of its TCP socket. */
async function connectTapped(server: Server, dialect: string, tap = true): Promise<Tapped> {
  const known = new Set(Array.from(server.hub.localConnections(), (c) => c.id));
  const client = await RawClient.connect(server.wsUrl(PATHS[dialect]!));
  const wire: Buffer[] = [];
  if (tap)
    (client.ws as unknown as { _socket: Duplex })._socket.on('data', (chunk: Buffer) => wire.push(chunk));
  const fresh = () => [...server.hub.localConnections()].find((c) => !known.has(c.id));
  await until(`the ${dialect} client to register`, () => fresh() !== undefined);
  const conn = fresh()!;
  assert.equal(conn.dialect, dialect);
  if (dialect !== 'chat')
    assert.deepEqual(await server.hub.call(conn.id, { fn: 'subscribe', channels: [CHANNEL] }), { ok: true });
  return { dialect, client, conn, wire };
}

/** Make this connection's ClientSocket take the fallback (ws.send) path for every frame. */
function forceSlowPath(t: Tapped): void {
  const socket = (t.conn.sink as unknown as { socket?: { sender: unknown } }).socket;
  assert.ok(socket, `${t.dialect} session keeps its ClientSocket in .socket`);
  socket.sender = null;
}

describe('fan-out fast path', () => {
  let server: Server;
  const clients: RawClient[] = [];

  before(async () => {
    server = await startTestServer({
      namespaces: {
        [NS]: {
          secret: 'app-site-secret',
          post_secret: 'app-post-secret',
          api_keys: ['app-key'],
          rocket: { path: '/app', users: { open: { secret: '', permissions: ['READ', 'WRITE'] } } },
        },
      },
      chat: { namespace: NS },
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  it('every dialect puts on the wire exactly what ws.send of its rendering would, fast path or fallback', async () => {
    const tapped: Tapped[] = [];
    for (const dialect of Object.keys(RENDERINGS)) {
      tapped.push(await connectTapped(server, dialect));
      if (dialect !== 'gateway') {
        const slow = await connectTapped(server, dialect);
        forceSlowPath(slow);
        tapped.push(slow);
      }
    }
    for (const t of tapped) clients.push(t.client);
    const marks = tapped.map((t) => Buffer.concat(t.wire).length);

    // Payload sizes around the 7/16/64-bit length boundaries, UTF-8 beyond ASCII, and bytes.
    const inputs: PublishInput[] = [
      { data: { text: 'héllo ✓ 😀' } },
      { data: 'x'.repeat(90) },
      { data: 'y'.repeat(200) },
      { data: 'z'.repeat(70_000) },
      { data: Buffer.from([0, 1, 0xfe, 0xff, 0x80]) },
      { data: { nested: [1, 2, { deep: null }] }, event: 'ev', sender: 'someone' },
    ];
    const published: Publication[] = [];
    for (const input of inputs) published.push((await server.hub.publish(NS, CHANNEL, input)).publication);

    for (const [i, t] of tapped.entries()) {
      for (let n = 0; n < inputs.length; n++) await t.client.nextFrame();
      const expected = Buffer.concat(
        published.map((p) => {
          const r = RENDERINGS[t.dialect]!(p);
          return slowPathBytes(r.data, r.binary);
        }),
      );
      const got = Buffer.concat(t.wire).subarray(marks[i]);
      assert.ok(
        got.equals(expected),
        `${t.dialect}: ${got.length} bytes on the wire, ${expected.length} expected`,
      );
    }
  });

  it('pre-framed deliveries and ordinary writes in one turn reach the client in call order', async () => {
    const a = await connectTapped(server, 'site');
    clients.push(a.client);
    const p1 = (await server.hub.publish(NS, 'elsewhere', { data: 1 })).publication;
    const p2 = (await server.hub.publish(NS, 'elsewhere', { data: 2 })).publication;
    // Synchronously, in one turn: corked together, they must still leave in this order.
    const sink = a.conn.sink;
    assert.ok(sink.deliver(p1));
    assert.ok(sink.sendRaw('{"raw":1}', false));
    assert.ok(sink.deliver(p2));
    assert.ok(sink.sendRaw('{"raw":2}', false));
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await a.client.next());
    assert.deepEqual(got, [
      { message: 'elsewhere', ord: p1.ord, body: 1 },
      { raw: 1 },
      { message: 'elsewhere', ord: p2.ord, body: 2 },
      { raw: 2 },
    ]);
  });

  it('a burst of 5,000 publications to 50 subscribers arrives complete, in order, without duplicates', async () => {
    const SUBSCRIBERS = 50;
    const MESSAGES = 5000;
    const channel = 'burst';
    const received: number[][] = [];
    const sockets: WebSocket[] = [];
    try {
      for (let i = 0; i < SUBSCRIBERS; i++) {
        const known = new Set(Array.from(server.hub.localConnections(), (c) => c.id));
        const ws = new WebSocket(server.wsUrl(`/ws?site=${NS}`), { perMessageDeflate: false });
        sockets.push(ws);
        const mine: number[] = [];
        received.push(mine);
        ws.on('message', (data: Buffer) => mine.push(JSON.parse(data.toString()).body));
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        await until('the subscriber to register', () => server.hub.connectionCount > known.size);
        const id = Array.from(server.hub.localConnections(), (c) => c.id).find((k) => !known.has(k))!;
        assert.deepEqual(await server.hub.call(id, { fn: 'subscribe', channels: [channel] }), { ok: true });
      }
      // Published without awaiting: the whole burst fans out in as few turns as the engine allows.
      const pending = [];
      for (let n = 0; n < MESSAGES; n++) pending.push(server.hub.publish(NS, channel, { data: n }));
      const results = await Promise.all(pending);
      assert.ok(results.every((r) => r.delivered === undefined || r.delivered.failed === 0));
      await until('every subscriber to receive the burst', () => received.every((r) => r.length >= MESSAGES));
      const expected = Array.from({ length: MESSAGES }, (_, n) => n);
      for (const r of received) assert.deepEqual(r, expected);
    } finally {
      for (const ws of sockets) ws.terminate();
    }
  });

  it('a subscriber that stops reading is still cut with 1013 "slow consumer"', async () => {
    const slow = await connectTapped(server, 'site', false);
    clients.push(slow.client);
    const serverSide = (slow.conn.sink as unknown as { socket: { open: boolean } }).socket;
    slow.client.ws.pause();
    try {
      const cutBefore = server.transport.counters.slowConsumers;
      const payload = 'w'.repeat(16 * 1024);
      for (let sent = 0; serverSide.open; sent += 32) {
        assert.ok(sent < 2000, 'never cut although 32 MiB went to a client that does not read');
        // Awaited publishes of the memory engine settle as microtasks, within one turn: the check
        // must not wait for the end of the turn.
        await Promise.all(
          Array.from({ length: 32 }, () => server.hub.publish(NS, CHANNEL, { data: payload })),
        );
        // Then let the other (reading) subscribers of the channel read.
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(server.transport.counters.slowConsumers > cutBefore);
    } finally {
      slow.client.ws.resume();
    }
    const closed = await slow.client.closed;
    assert.deepEqual(closed, { code: 1013, reason: 'slow consumer' });
  });
});
