// Publications that reach the server one turn apart (a publisher that awaits each publish, a
// stream from Redis) are held for `limits.write_coalesce_ms` and written together: a client must
// still get every one, once and in order, in far fewer TCP reads than messages.
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const NS = 'app';
const MESSAGES = 300;

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A site client subscribed to `channel`, counting the TCP reads its socket makes. */
async function subscriber(server: Server, channel: string) {
  const known = new Set(Array.from(server.hub.localConnections(), (c) => c.id));
  const client = await RawClient.connect(server.wsUrl(`/ws?site=${NS}`));
  const reads = { count: 0 };
  (client.ws as unknown as { _socket: Duplex })._socket.on('data', () => {
    reads.count++;
  });
  await until('the client to register', () => server.hub.connectionCount > known.size);
  const id = Array.from(server.hub.localConnections(), (c) => c.id).find((k) => !known.has(k))!;
  assert.deepEqual(await server.hub.call(id, { fn: 'subscribe', channels: [channel] }), { ok: true });
  return { client, reads };
}

/** Publish `count` messages, each in its own event-loop turn, as an awaiting publisher would. */
async function publishOnePerTurn(server: Server, channel: string, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    await server.hub.publish(NS, channel, { data: n });
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function receiveAll(client: RawClient, count: number): Promise<number[]> {
  const bodies: number[] = [];
  for (let i = 0; i < count; i++) bodies.push((await client.next<{ body: number }>(10_000)).body);
  return bodies;
}

describe('write coalescing across turns', () => {
  let server: Server;
  before(async () => {
    server = await startTestServer({
      namespaces: { [NS]: { secret: 's', post_secret: 'p', api_keys: ['k'] } },
      limits: { write_coalesce_ms: 20 },
    });
  });
  after(() => server.close());

  it('delivers a stream of one-per-turn publications complete, in order, in few writes', async () => {
    const a = await subscriber(server, 'stream');
    const b = await subscriber(server, 'stream');
    try {
      const readsBefore = [a.reads.count, b.reads.count];
      await publishOnePerTurn(server, 'stream', MESSAGES);
      const expected = Array.from({ length: MESSAGES }, (_, n) => n);
      assert.deepEqual(await receiveAll(a.client, MESSAGES), expected);
      assert.deepEqual(await receiveAll(b.client, MESSAGES), expected);
      for (const [i, s] of [a, b].entries()) {
        const reads = s.reads.count - readsBefore[i]!;
        // One write per publication would mean ~300 reads; held for the window they come in a
        // handful (the first of the stream leaves at once, then one write per window).
        assert.ok(reads < MESSAGES / 4, `${reads} TCP reads for ${MESSAGES} publications`);
      }
    } finally {
      await Promise.all([a.client.close(), b.client.close()]);
    }
  });
});
