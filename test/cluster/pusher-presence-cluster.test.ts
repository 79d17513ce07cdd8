/**
 * Pusher presence and webhooks on three nodes over one Redis, one of them killed with SIGKILL.
 * The killed node's members leave within a bounded time (the node lease expiring, then a
 * survivor's presence sweep): `member_removed` reaches the other nodes' subscribers, once per user
 * that has no connection left, and the webhooks `member_removed` / `channel_vacated` for what the
 * dead node held go out exactly once across the cluster although two survivors sweep.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import {
  APP,
  closeAll,
  connect,
  frameOf,
  type PusherClient,
  subscribe,
} from '../protocol/pusher-fixtures.js';
import { deleteRedisPrefix, type NodeProcess, removeDir, startNode, tempDir } from './helpers.js';

const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;
/**
 * The bound: a dead node's lease outlives it by up to its TTL (15 s), and survivors sweep every
 * third of it. Past lease + two sweeps + webhook batching, a missing departure is a failure.
 */
const DEPARTURE_BOUND_MS = 15_000 + 2 * 5_000 + 2_000;

type Hook = { name: string; channel: string; user_id?: string };

/**
 * Pusher nodes over one Redis (with `engine` keys), their webhooks going to one receiver: started
 * before the tests of the describe it is called in, stopped after them.
 */
function usePusherNodes(nodeIds: number[], engine?: Record<string, unknown>) {
  const cluster = { receiver: undefined as unknown as WebhookReceiver, nodes: [] as NodeProcess[] };
  const clients: PusherClient[] = [];
  let dir: string;
  before(async () => {
    dir = tempDir();
    cluster.receiver = await startWebhookReceiver(APP);
    const pusher = { ...APP, webhooks: [{ url: cluster.receiver.url }], webhook_batch_ms: 50 };
    cluster.nodes = await Promise.all(
      nodeIds.map((nodeId) => startNode({ nodeId, prefix, dir, engine, namespaces: { app: { pusher } } })),
    );
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.raw.close()));
    await Promise.all(cluster.nodes.map((n) => n.stop()));
    await cluster.receiver?.close();
    await deleteRedisPrefix(prefix);
    removeDir(dir);
  });
  const on = async (node: NodeProcess) => {
    const c = await connect(node);
    clients.push(c);
    return c;
  };
  return { cluster, on };
}

describe('cluster: pusher presence and webhooks when a node is killed', () => {
  const { cluster, on } = usePusherNodes([121, 122, 123]);
  const hooks = (): Hook[] => cluster.receiver.requests.flatMap((r) => r.events as Hook[]);
  const count = (name: string, channel: string, user?: string) =>
    hooks().filter((h) => h.name === name && h.channel === channel && h.user_id === user).length;

  it("removes the dead node's members once, and its webhooks go out once cluster-wide", async () => {
    const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    const room = 'presence-room';
    const solo = 'presence-solo';
    // ann on A and on C; bob on B; carl on C only; dora alone on C in another channel.
    const annA = await on(a);
    await subscribe(annA, room, { user_id: 'ann' });
    const bob = await on(b);
    const seenByBob = await subscribe(bob, room, { user_id: 'bob', user_info: { name: 'Bob' } });
    assert.deepEqual(seenByBob.presence.ids.sort(), ['ann', 'bob']);
    const annC = await on(c);
    await subscribe(annC, room, { user_id: 'ann' });
    const carl = await on(c);
    await subscribe(carl, room, { user_id: 'carl' });
    const dora = await on(c);
    await subscribe(dora, solo, { user_id: 'dora' });
    // Members that joined through other nodes are announced to A's and B's subscribers.
    for (const watcher of [annA, bob])
      assert.deepEqual((await frameOf(watcher, 'pusher_internal:member_added', room, 'carl', 5000)).data, {
        user_id: 'carl',
        user_info: null,
      });

    // Every node sends the webhooks of its own connections; each event once.
    await cluster.receiver.waitForEvents(6);
    await bob.raw.silentFor(300); // batching window of every node
    assert.equal(count('channel_occupied', room), 1);
    assert.equal(count('channel_occupied', solo), 1);
    for (const user of ['ann', 'bob', 'carl']) assert.equal(count('member_added', room, user), 1, user);
    assert.equal(count('member_added', solo, 'dora'), 1);
    assert.ok(cluster.receiver.requests.every((r) => r.valid));

    await c.kill9();
    const killedAt = Date.now();
    // carl had no other connection: both survivors' subscribers hear him leave; ann stays.
    for (const watcher of [annA, bob]) {
      const left = await frameOf(watcher, 'pusher_internal:member_removed', room, 'carl', DEPARTURE_BOUND_MS);
      assert.deepEqual(left.data, { user_id: 'carl' });
    }
    const deadline = killedAt + DEPARTURE_BOUND_MS;
    while (
      (count('member_removed', room, 'carl') < 1 ||
        count('member_removed', solo, 'dora') < 1 ||
        count('channel_vacated', solo) < 1) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(count('member_removed', room, 'carl'), 1, JSON.stringify(hooks()));
    assert.equal(count('member_removed', solo, 'dora'), 1);
    assert.equal(count('channel_vacated', solo), 1);

    // Both survivors sweep again (every 5 s): nothing is reported a second time, and what still
    // has members on a survivor is not reported at all.
    assert.ok(await bob.raw.silentFor(11_000), 'no further presence event for bob');
    assert.equal(count('member_removed', room, 'carl'), 1);
    assert.equal(count('member_removed', solo, 'dora'), 1);
    assert.equal(count('channel_vacated', solo), 1);
    assert.equal(count('member_removed', room, 'ann'), 0);
    assert.equal(count('channel_vacated', room), 0);

    // A newcomer on a survivor gets the member list without the dead node's users.
    const eve = await on(b);
    const list = await subscribe(eve, room, { user_id: 'eve' });
    assert.deepEqual(list.presence.ids.sort(), ['ann', 'bob', 'eve']);
    assert.equal(list.presence.count, 3);
    await closeAll(eve);
    cluster.nodes = [a, b];
  });
});

/**
 * `engine.node_lease_ms` and `engine.presence_sweep_ms` set how soon the presence members of a
 * node that died leave: with the defaults nothing can leave before the 15 s lease; with a 3 s
 * lease and a 0.5 s sweep, `member_removed` (the event and the webhook) comes well before that.
 */
const LEASE_MS = 3000;
const SWEEP_MS = 500;
/** Below the default lease alone, so it fails unless the settings took effect. */
const SHORT_BOUND_MS = 12_000;

describe('cluster: a shorter node lease and presence sweep make a dead node’s members leave sooner', () => {
  const { cluster, on } = usePusherNodes([131, 132], {
    node_lease_ms: LEASE_MS,
    presence_sweep_ms: SWEEP_MS,
  });

  it('sends member_removed within the configured lease and sweep', async (t) => {
    const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    const room = 'presence-room';
    const bob = await on(a);
    await subscribe(bob, room, { user_id: 'bob' });
    const carl = await on(b);
    await subscribe(carl, room, { user_id: 'carl' });
    await frameOf(bob, 'pusher_internal:member_added', room, 'carl', 5000);

    await b.kill9();
    const killedAt = Date.now();
    const left = await frameOf(bob, 'pusher_internal:member_removed', room, 'carl', SHORT_BOUND_MS);
    const tookMs = Date.now() - killedAt;
    assert.deepEqual(left.data, { user_id: 'carl' });
    const removed = () =>
      cluster.receiver.requests
        .flatMap((r) => r.events as { name: string; user_id?: string }[])
        .filter((e) => e.name === 'member_removed' && e.user_id === 'carl').length;
    while (removed() < 1 && Date.now() - killedAt < SHORT_BOUND_MS)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(removed(), 1, 'the member_removed webhook, once');
    assert.ok(cluster.receiver.requests.every((r) => r.valid));
    // For the record (not asserted beyond the bound: the machine may be loaded).
    t.diagnostic(`member_removed ${tookMs} ms after the kill (lease ${LEASE_MS} ms, sweep ${SWEEP_MS} ms)`);
    cluster.nodes = [a];
  });
});
