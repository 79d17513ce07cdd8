/**
 * Three real `switchboard serve` processes on the machine's Redis behave as one server: one ord
 * order per channel, resume on another node, routing by client id, exactly-once queues.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../helpers/ws-client.js';
import { Backend } from '../protocol/mesh-fixtures.js';
import {
  contiguous,
  deleteRedisPrefix,
  type NodeProcess,
  removeDir,
  SITE,
  SiteSubscriber,
  sitePoster,
  startNode,
  tempDir,
  until,
} from './helpers.js';

const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;
const meshUrl = (node: NodeProcess) => node.wsUrl(`/ws/v1?site=${SITE.name}&key=${SITE.apiKey}`);

describe('cluster: three nodes on one Redis', () => {
  let dir: string;
  let a: NodeProcess;
  let b: NodeProcess;
  let c: NodeProcess;
  before(async () => {
    dir = tempDir();
    const nodes = await Promise.all([101, 102, 103].map((nodeId) => startNode({ nodeId, prefix, dir })));
    [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
  });
  after(async () => {
    await Promise.all([a, b, c].map((n) => n?.stop()));
    await deleteRedisPrefix(prefix);
    removeDir(dir);
  });

  it('gives subscribers on B and C the same ord sequence under concurrent publishers on A, B and C', async () => {
    const channel = 'concurrent';
    const onB = await SiteSubscriber.open(b, channel);
    const onC = await SiteSubscriber.open(c, channel);
    const posters = await Promise.all([a, b, c].map(sitePoster));
    const perNode = 100;
    // Three publishers at once, ten requests in flight on each.
    await Promise.all(
      posters.map(async (send, n) => {
        for (let i = 0; i < perNode; i += 10) {
          const statuses = await Promise.all(
            Array.from({ length: 10 }, (_, k) => send(channel, { node: n, i: i + k })),
          );
          assert.ok(
            statuses.every((s) => s === 200),
            `posts answered ${statuses}`,
          );
        }
      }),
    );
    const total = 3 * perNode;
    await until(
      () => onB.messages.length === total && onC.messages.length === total,
      'every publication on B and C',
    );
    assert.deepEqual(onC.ords, onB.ords, 'one order on every node');
    assert.ok(contiguous(onB.ords), 'no hole, no duplicate');
    assert.deepEqual(
      onC.messages.map((m) => m.body),
      onB.messages.map((m) => m.body),
    );
    const seen = new Set(onB.messages.map((m) => JSON.stringify(m.body)));
    assert.equal(seen.size, total, 'each post delivered once');
    await Promise.all([onB.close(), onC.close()]);
  });

  it('lets a site client move from A to B and resume with after, losing nothing', async () => {
    const channel = 'moving';
    const post = await sitePoster(c);
    const first = await SiteSubscriber.open(a, channel);
    for (let i = 0; i < 20; i++) assert.equal(await post(channel, { i }), 200);
    await until(() => first.messages.length === 20, 'the first 20 on A');
    await first.close();
    // Published while the client is between nodes.
    for (let i = 20; i < 35; i++) assert.equal(await post(channel, { i }), 200);
    const second = await SiteSubscriber.open(b, channel, first.lastOrd);
    for (let i = 35; i < 50; i++) assert.equal(await post(channel, { i }), 200);
    await until(() => second.messages.length === 30, 'the missed 15 and the next 15 on B');
    const all = [...first.messages, ...second.messages];
    assert.ok(contiguous(all.map((m) => m.ord)));
    assert.deepEqual(
      all.map((m) => (m.body as { i: number }).i),
      Array.from({ length: 50 }, (_, i) => i),
    );
    await second.close();
  });

  it('routes mesh.send and conn.call from a backend on A to a gateway client on C', async () => {
    const backend = await Backend.connect(meshUrl(a));
    assert.equal((await backend.request('queue.pop', { t: ['clients'] })).E, null);
    const client = await RawClient.connect(c.wsUrl(`/client?site=${SITE.name}`));
    // The handshake item travels C → Redis queue → the consumer on A, carrying the client id.
    await backend.until(() => backend.events.some((e) => e.p.d?.event === 'handshake'), 'the handshake item');
    const handshake = backend.events.find((e) => e.p.d?.event === 'handshake');
    const id: string = handshake.p.c;
    assert.equal(handshake.p.n, 103, 'produced on node C');

    const sent = await backend.request('mesh.send', { c: id, d: 'hello from A' });
    assert.equal(sent.E, null);
    assert.equal((await client.nextFrame()).data, 'hello from A');
    const bin = await backend.request('mesh.send', {
      c: id,
      d: Buffer.from([1, 2, 255]).toString('base64'),
      t: 'binary',
    });
    assert.equal(bin.E, null);
    const frame = await client.nextFrame();
    assert.ok(frame.binary);
    assert.deepEqual(frame.data, Buffer.from([1, 2, 255]));

    const call = await backend.request('conn.call', { c: id, f: 'set_context_value', a: ['user', 7] });
    assert.deepEqual({ E: call.E, r: call.r }, { E: null, r: { s: true } });
    client.send('with context');
    await backend.until(() => backend.events.some((e) => e.p.d?.event === 'message'), 'the message item');
    assert.deepEqual(backend.events.find((e) => e.p.d?.event === 'message').p.d.context, { user: 7 });

    assert.equal((await backend.request('conn.call', { c: id, f: 'subscribe', a: ['room'] })).E, null);
    const published = await backend.request('mesh.publish', { c: 'room', d: 'to the room' });
    assert.deepEqual(published.r, { s: 1, f: 0 }, 'the subscriber on C is counted from A');
    assert.equal((await client.nextFrame()).data, 'to the room');

    // A client id whose node bits name no live node: a clear error, quickly.
    const ghost = ((BigInt(Date.now() - 1288834974657) << 22n) | (999n << 12n)).toString();
    const t0 = Date.now();
    assert.equal((await backend.request('mesh.send', { c: ghost, d: 'x' })).E?.c, 401);
    assert.equal((await backend.request('conn.call', { c: ghost, f: 'subscribe', a: ['x'] })).E?.c, 301);
    assert.ok(Date.now() - t0 < 2000, 'an unknown node is answered at once');
    await client.close();
    await backend.close();
  });

  it('gives chat clients on every node each message of every room, and one room list', async () => {
    const clients = await Promise.all(
      [a, b, c].map((n, i) => RawClient.connect(n.wsUrl(`/ws?username=${['alice', 'bob', 'carol'][i]}`))),
    );
    const [alice, bob, carol] = clients as [RawClient, RawClient, RawClient];
    alice.send({ room: 'lobby', text: 'hello from A', id: 'm1' });
    bob.send({ room: 'garden', text: 'hello from B' });
    for (const client of [alice, bob, carol]) {
      const got = [await client.next(), await client.next()].map(
        (m) => `${m.room}:${m.sender.username}:${m.text}`,
      );
      assert.deepEqual(got.sort(), ['garden:bob:hello from B', 'lobby:alice:hello from A']);
    }
    const rooms = (await (await fetch(`${c.url}/api/rooms`)).json()) as { result: { name: string }[] };
    assert.deepEqual(rooms.result.map((r) => r.name).sort(), ['garden', 'lobby']);
    await Promise.all([alice, bob, carol].map((x) => x.close()));
  });

  it('hands 10,000 queue items produced on two nodes to consumers on two nodes, each exactly once', async () => {
    // Gateway clients on C, A and B produce (every frame is an item of the client topic);
    // backends on A and B consume it.
    const consumers = await Promise.all([a, b].map((n) => Backend.connect(meshUrl(n))));
    for (const k of consumers) assert.equal((await k.request('queue.pop', { t: ['clients'] })).E, null);
    const producers = await Promise.all(
      [c, a, b, c].map((n) => RawClient.connect(n.wsUrl(`/client?site=${SITE.name}`))),
    );
    const perProducer = 2500;
    producers.forEach((p, n) => {
      for (let i = 0; i < perProducer; i++) p.send(`${n}:${i}`);
    });
    const messages = () =>
      consumers.flatMap((k) =>
        k.events.filter((e) => e.p.d?.event === 'message').map((e) => e.p.d.frame.data),
      );
    const total = producers.length * perProducer;
    await until(() => messages().length >= total, '10,000 items', 30_000);
    await new Promise((r) => setTimeout(r, 200)); // a duplicate would arrive now
    const got = messages();
    assert.equal(got.length, total, 'no item twice');
    assert.equal(new Set(got).size, total, 'every item once');
    for (const k of consumers) {
      const mine = k.events.filter((e) => e.p.d?.event === 'message').length;
      assert.ok(mine > 0, `both consuming nodes took items (${mine})`);
    }
    // Per producer, one consumer sees that producer's items in order (FIFO within a node).
    for (const k of consumers) {
      for (let n = 0; n < producers.length; n++) {
        const seq = k.events
          .filter((e) => e.p.d?.event === 'message' && e.p.d.frame.data.startsWith(`${n}:`))
          .map((e) => Number(e.p.d.frame.data.split(':')[1]));
        assert.ok(
          seq.every((v, i) => i === 0 || v > seq[i - 1]!),
          'in order within one consumer',
        );
      }
    }
    await Promise.all(producers.map((p) => p.close()));
    await Promise.all(consumers.map((k) => k.close()));
  });
});
