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

describe('cluster: pusher presence and webhooks when a node is killed', () => {
  let dir: string;
  let receiver: WebhookReceiver;
  let nodes: NodeProcess[] = [];
  const clients: PusherClient[] = [];
  before(async () => {
    dir = tempDir();
    receiver = await startWebhookReceiver(APP);
    const pusher = { ...APP, webhooks: [{ url: receiver.url }], webhook_batch_ms: 50 };
    nodes = await Promise.all(
      [121, 122, 123].map((nodeId) => startNode({ nodeId, prefix, dir, namespaces: { app: { pusher } } })),
    );
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.raw.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    await receiver?.close();
    await deleteRedisPrefix(prefix);
    removeDir(dir);
  });

  const on = async (node: NodeProcess) => {
    const c = await connect(node);
    clients.push(c);
    return c;
  };
  const hooks = (): Hook[] => receiver.requests.flatMap((r) => r.events as Hook[]);
  const count = (name: string, channel: string, user?: string) =>
    hooks().filter((h) => h.name === name && h.channel === channel && h.user_id === user).length;

  it("removes the dead node's members once, and its webhooks go out once cluster-wide", async () => {
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
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
    await receiver.waitForEvents(6);
    await bob.raw.silentFor(300); // batching window of every node
    assert.equal(count('channel_occupied', room), 1);
    assert.equal(count('channel_occupied', solo), 1);
    for (const user of ['ann', 'bob', 'carl']) assert.equal(count('member_added', room, user), 1, user);
    assert.equal(count('member_added', solo, 'dora'), 1);
    assert.ok(receiver.requests.every((r) => r.valid));

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
    nodes = [a, b];
  });
});
