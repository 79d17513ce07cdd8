// Two servers in one process share no transport state: each listener has its own write batcher and
// its own counters of refusals and cuts, so hitting one never moves the other's figures, and
// closing one leaves the other's held writes to be written by it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { expectRefused, RawClient } from '../helpers/ws-client.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

const SITE = { namespaces: { demo: { secret: 'site-secret' } } };
const WINDOW_MS = 40;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `switchboard_connections_refused_total{reason="max_connections"}` as the server's /metrics shows it. */
async function refusedOnMetrics(server: TestServer): Promise<number> {
  const r = await get(`${server.url}/metrics`);
  assert.equal(r.status, 200);
  const line = r.text
    .split('\n')
    .find(
      (l) => l.startsWith('switchboard_connections_refused_total{') && l.includes('reason="max_connections"'),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('two servers in one process', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await startTestServer({ ...SITE, limits: { write_coalesce_ms: WINDOW_MS } });
    b = await startTestServer({ ...SITE, limits: { max_connections: 1, write_coalesce_ms: WINDOW_MS } });
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it("counts one server's refusals on that server only, in its counters and its /metrics", async () => {
    const held = await RawClient.connect(b.wsUrl('/ws?site=demo'));
    try {
      const refused = await expectRefused(b.wsUrl('/ws?site=demo'));
      assert.equal(refused.status, 503);
    } finally {
      await held.close();
    }
    assert.equal(b.transport.counters.refusedTotal, 1);
    assert.equal(await refusedOnMetrics(b), 1);
    assert.equal(a.transport.counters.refusedTotal, 0);
    assert.equal(await refusedOnMetrics(a), 0);
    assert.notEqual(a.transport, b.transport);
  });

  it("closing one server while the other holds deliveries leaves the other's writes whole, in order", async () => {
    const client = await RawClient.connect(a.wsUrl('/ws?site=demo'));
    const id = Array.from(a.hub.localConnections(), (c) => c.id)[0]!;
    assert.deepEqual(await a.hub.call(id, { fn: 'subscribe', channels: ['news'] }), { ok: true });
    const bFlushes = { ...b.transport.batcher.counters };

    // One publication a turn, each well within the window of the last: from the second on, the
    // deliveries are held across turns by a's batcher.
    const N = 5;
    for (let n = 0; n < N; n++) {
      await a.hub.publish('demo', 'news', { data: `m${n}` });
      await nextTurn();
    }
    const closing = b.close();
    const got: unknown[] = [];
    while (got.length < N) {
      const m = await client.next();
      if (m.message === 'news') got.push(m.body);
    }
    await closing;
    assert.deepEqual(
      got,
      Array.from({ length: N }, (_, n) => `m${n}`),
    );
    assert.ok(a.transport.batcher.counters.windowFlushes > 0, 'a held deliveries across turns');
    assert.deepEqual(b.transport.batcher.counters, bFlushes, "a's deliveries went through a's batcher only");
    await client.close();
  });
});
