import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { RawClient } from '../helpers/ws-client.js';
import {
  Backend,
  backendUrl,
  consumer,
  type MeshTestServer,
  startMeshServer,
  waitFor,
} from './mesh-fixtures.js';

/** Frame numbers carried by the message items a backend received, in arrival order. */
const numbers = (b: Backend) =>
  b.events.filter((e) => e.p.d.event === 'message').map((e) => Number(e.p.d.frame.data));

const isIncreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);

describe('mesh queues: queue.pop and queue.unpop', () => {
  // A fresh server per case: every case uses the one client topic, and must not see another's items.
  let server: MeshTestServer;
  beforeEach(async () => {
    // Gateway clients here send far faster than an end user would: lift the inbound rate limit.
    server = await startMeshServer({ limits: { max_messages_per_second: 1_000_000 } });
  });
  afterEach(() => server.close());

  it('splits 10,000 items between two consumers round-robin, in order, without duplicates or losses', async () => {
    const a = await consumer(server);
    const b = await consumer(server);
    const client = await RawClient.connect(server.wsUrl('/client?site=demo'));
    const total = 10_000;
    for (let i = 0; i < total; i++) client.send(String(i));
    // Counting events (the handshake + the messages) keeps the wait linear in the item count.
    await waitFor(() => a.events.length + b.events.length >= total + 1, 'all items', 30_000);
    const got = [...numbers(a), ...numbers(b)];
    assert.equal(new Set(got).size, total, 'no duplicates');
    assert.deepEqual(
      [...got].sort((x, y) => x - y),
      Array.from({ length: total }, (_, i) => i),
      'no losses',
    );
    assert.ok(isIncreasing(numbers(a)) && isIncreasing(numbers(b)), 'each consumer sees the topic order');
    assert.ok(
      Math.abs(numbers(a).length - numbers(b).length) <= 2,
      `split ${numbers(a).length}/${numbers(b).length}`,
    );
    await client.close();
    await a.close();
    await b.close();
  });

  it('keeps items pushed while no consumer exists and delivers them, in order, when one arrives', async () => {
    const client = await RawClient.connect(server.wsUrl('/client?site=demo'));
    client.send('first');
    client.send('second');
    await new Promise((r) => setTimeout(r, 50));
    const late = await consumer(server);
    const items = await late.items(3);
    assert.deepEqual(
      items.map((d) => d.event),
      ['handshake', 'message', 'message'],
    );
    assert.deepEqual(
      items.slice(1).map((d) => d.frame.data),
      ['first', 'second'],
    );
    await client.close();
    await late.close();
  });

  it('loses nothing when a consumer disconnects mid-stream: what it was not written goes to the other', async () => {
    const a = await consumer(server);
    const b = await consumer(server);
    const client = await RawClient.connect(server.wsUrl('/client?site=demo'));
    const total = 3000;
    for (let i = 0; i < 1000; i++) client.send(String(i));
    // a leaves while items are still flowing: its close races the deliveries in flight.
    await a.until(() => a.events.length > 100, 'a few items on a');
    // The rest is sent once a's close has completed, so that "b took over" below does not depend
    // on how long the close handshake takes under load; the first 1,000 still race the close.
    await a.close();
    for (let i = 1000; i < total; i++) client.send(String(i));
    await waitFor(() => a.events.length + b.events.length >= total + 1, 'every item on a or b', 30_000);
    const got = [...numbers(a), ...numbers(b)];
    assert.equal(got.length, total, 'no duplicates');
    assert.equal(new Set(got).size, total, 'no losses');
    assert.ok(numbers(a).length < total / 2, `b took over after a left (a got ${numbers(a).length})`);
    await client.close();
    await b.close();
  });

  it('keeps items in the topic after the only consumer left, for the next one', async () => {
    const a = await consumer(server);
    const client = await RawClient.connect(server.wsUrl('/client?site=demo'));
    client.send('0');
    await a.until(() => numbers(a).length === 1, 'item 0');
    await a.close();
    for (let i = 1; i <= 5; i++) client.send(String(i));
    await new Promise((r) => setTimeout(r, 50));
    const next = await consumer(server);
    await next.until(() => numbers(next).length === 5, 'items 1..5');
    assert.deepEqual(numbers(next), [1, 2, 3, 4, 5]);
    await client.close();
    await next.close();
  });

  it('queue.unpop stops delivery; the items wait for the next queue.pop', async () => {
    const a = await consumer(server);
    const client = await RawClient.connect(server.wsUrl('/client?site=demo'));
    await a.until(() => a.events.length === 1, 'handshake');
    assert.deepEqual((await a.request('queue.unpop', {})).r, { s: true });
    client.send('held');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(numbers(a).length, 0, 'nothing after unpop');
    assert.deepEqual((await a.request('queue.pop', { t: ['clients'] })).r, { s: true });
    await a.until(() => numbers(a).length === 1, 'the held item');
    await client.close();
    await a.close();
  });

  it('queue.pop answers 101 for bad topics and 202 for a topic already consumed, attaching nothing then', async () => {
    const b = await Backend.connect(backendUrl(server));
    for (const p of [{}, { t: [] }, { t: 'clients' }, { t: [''] }, { t: [1] }, { t: ['ok', null] }]) {
      assert.equal((await b.request('queue.pop', p)).E?.c, 101, JSON.stringify(p));
    }
    assert.equal(
      (await b.request('queue.pop', { t: ['jobs', 'jobs'] })).E,
      null,
      'a repeated name counts once',
    );
    const dup = await b.request('queue.pop', { t: ['more', 'jobs'] });
    assert.equal(dup.E.c, 202);
    assert.match(dup.E.m, /jobs/);
    const conn = server.hub.connection(
      [...server.hub.localConnections()].find((c) => c.consuming.has('jobs'))!.id,
    )!;
    assert.deepEqual([...conn.consuming.keys()], ['jobs'], '"more" was not attached');
    assert.equal((await b.request('queue.unpop', {})).E, null);
    assert.equal((await b.request('queue.unpop', {})).E, null, 'unpop without consuming is fine');
    assert.equal((await b.request('queue.pop', { t: ['more', 'jobs'] })).E, null);
    await b.close();
  });

  it('lets a backend send thousands of requests back to back (no inbound rate cap on /ws/v1)', async () => {
    const limited = await startMeshServer();
    try {
      const b = await Backend.connect(backendUrl(limited));
      // Past 1,024 unanswered requests the server stops reading the socket for a while: all are answered anyway.
      const n = 5000;
      for (let i = 1; i <= n; i++) b.sendRaw(JSON.stringify({ m: 'mesh.publish', p: { c: 'c', d: i }, i }));
      await b.until(() => b.replies.length === n, `${n} replies`, 20_000);
      assert.ok(
        b.replies.every((r, k) => r.E === null && r.i === k + 1),
        'every reply, in request order',
      );
      await b.close();
    } finally {
      await limited.close();
    }
  });
});
