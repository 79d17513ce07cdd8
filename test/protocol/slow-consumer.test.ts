import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startTestServer } from '../helpers/server.js';

const SLOW_CLIENTS = 50;
const MESSAGE_BYTES = 16 * 1024;
const TOTAL_BYTES = 20 * 1024 * 1024;
const MESSAGES = TOTAL_BYTES / MESSAGE_BYTES;
/** Published between two checks that the reader kept up: half the outbound limit. */
const BATCH = 32;
/** The stated bound: server (and test) RSS grows by less than this while 20 MB fan out to 51 sockets. */
const RSS_BOUND_BYTES = 200 * 1024 * 1024;
const CHANNEL = 'firehose';

/**
 * A WebSocket client that completes the handshake by hand and then never reads again: its socket
 * is paused, so what the server sends piles up in the kernel buffers and then in the server's
 * outbound buffer for it, exactly like a stalled browser tab or a dead mobile link.
 */
function stalledClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
      else resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(
      'GET /ws?site=demo HTTP/1.1\r\n' +
        `Host: 127.0.0.1:${port}\r\n` +
        'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
        'Sec-WebSocket-Version: 13\r\n\r\n',
    );
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('slow consumers', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const stalled: Socket[] = [];
  let reader: WebSocket | undefined;
  before(async () => {
    server = await startTestServer({ namespaces: { demo: { secret: 'site-secret' } } });
  });
  after(async () => {
    for (const s of stalled) s.destroy();
    reader?.terminate();
    await server.close();
  });

  it(`cuts ${SLOW_CLIENTS} clients that never read while 20 MB is published; a reader keeps receiving`, async (t) => {
    const { hub } = server;
    const port = Number(new URL(server.url).port);

    let received = 0;
    let readerClose: number | undefined;
    reader = new WebSocket(server.wsUrl('/ws?site=demo'), { perMessageDeflate: false });
    reader.on('message', () => {
      received++;
    });
    reader.on('close', (code) => {
      readerClose = code;
    });
    await new Promise((resolve, reject) => {
      reader!.once('open', resolve);
      reader!.once('error', reject);
    });
    await until('the reader to register', () => hub.connectionCount === 1);
    const readerId = Array.from(hub.localConnections(), (c) => c.id)[0]!;

    for (let i = 0; i < SLOW_CLIENTS; i++) stalled.push(await stalledClient(port));
    await until('every client to register', () => hub.connectionCount === SLOW_CLIENTS + 1);
    const slowIds = Array.from(hub.localConnections(), (c) => c.id).filter((id) => id !== readerId);
    // Subscribed from the backend side (as a mesh conn.call would): a stalled client cannot
    // read the answer to a subscribe request of its own.
    for (const { id } of hub.localConnections()) {
      const reply = await hub.call(id, { fn: 'subscribe', channels: [CHANNEL] });
      assert.deepEqual(reply, { ok: true });
    }

    const cutBefore = server.transport.counters.slowConsumers;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const payload = 'x'.repeat(MESSAGE_BYTES);
    for (let sent = 0; sent < MESSAGES; ) {
      const batch = [];
      for (let i = 0; i < BATCH; i++, sent++) batch.push(hub.publish('demo', CHANNEL, { data: payload }));
      await Promise.all(batch);
      // Pace the publisher to the reader: it is a healthy client, so it must never be cut.
      await until(`the reader to get ${sent} messages`, () => received >= sent || readerClose !== undefined);
      assert.equal(readerClose, undefined, 'the reader was disconnected');
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    assert.equal(received, MESSAGES);

    // The close handshake of a client that never reads cannot finish: the server must cut the
    // socket itself after its grace period.
    await until('every stalled client to be cut', () =>
      slowIds.every((id) => !(hub.connection(id) !== undefined)),
    );
    assert.ok(
      server.transport.counters.slowConsumers - cutBefore >= SLOW_CLIENTS,
      `${server.transport.counters.slowConsumers - cutBefore} slow consumers counted`,
    );
    const growth = rssPeak - rssBefore;
    t.diagnostic(`RSS growth ${Math.round(growth / 2 ** 20)} MiB (bound ${RSS_BOUND_BYTES / 2 ** 20} MiB)`);
    assert.ok(growth < RSS_BOUND_BYTES, `RSS grew by ${Math.round(growth / 2 ** 20)} MiB`);

    // The reader is still subscribed and served after the cut.
    await hub.publish('demo', CHANNEL, { data: 'still here' });
    await until('the last message', () => received === MESSAGES + 1);
    assert.equal(reader.readyState, WebSocket.OPEN);
  });

  it('sends 1013 "slow consumer" to a client that falls behind, which it sees once it reads again', async () => {
    const { hub } = server;
    const before = new Set(Array.from(hub.localConnections(), (c) => c.id));
    const client = new WebSocket(server.wsUrl('/ws?site=demo'), { perMessageDeflate: false });
    const closed = new Promise<number>((resolve) => client.on('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
    });
    await until('the client to register', () =>
      Array.from(hub.localConnections(), (c) => c.id).some((id) => !before.has(id)),
    );
    const id = Array.from(hub.localConnections(), (c) => c.id).find((id) => !before.has(id))!;
    assert.deepEqual(await hub.call(id, { fn: 'subscribe', channels: ['lagging'] }), { ok: true });

    client.pause(); // stops reading, like a tab in the background
    const cutBefore = server.transport.counters.slowConsumers;
    const payload = 'y'.repeat(MESSAGE_BYTES);
    for (let sent = 0; server.transport.counters.slowConsumers === cutBefore; sent += BATCH) {
      assert.ok(sent < MESSAGES, 'never cut although 20 MiB went to a client that does not read');
      await Promise.all(
        Array.from({ length: BATCH }, () => hub.publish('demo', 'lagging', { data: payload })),
      );
    }
    // It reads again within the close grace period: the close frame, queued after the backlog, arrives.
    client.resume();
    assert.equal(await closed, 1013);
  });
});
