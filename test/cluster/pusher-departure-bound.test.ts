/**
 * `engine.node_lease_ms` and `engine.presence_sweep_ms` set how soon the presence members of a
 * node that died leave: with the defaults (15 s lease, 5 s sweep) nothing can leave before 15 s;
 * with a 3 s lease and a 0.5 s sweep, `member_removed` (the event and the webhook) comes well
 * before that. Two nodes over one Redis, one SIGKILLed.
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
const LEASE_MS = 3000;
const SWEEP_MS = 500;
/** Below the default lease alone, so it fails unless the settings took effect. */
const BOUND_MS = 12_000;

describe('cluster: a shorter node lease and presence sweep make a dead node’s members leave sooner', () => {
  let dir: string;
  let receiver: WebhookReceiver;
  let nodes: NodeProcess[] = [];
  before(async () => {
    dir = tempDir();
    receiver = await startWebhookReceiver(APP);
    const pusher = { ...APP, webhooks: [{ url: receiver.url }], webhook_batch_ms: 50 };
    nodes = await Promise.all(
      [131, 132].map((nodeId) =>
        startNode({
          nodeId,
          prefix,
          dir,
          engine: { node_lease_ms: LEASE_MS, presence_sweep_ms: SWEEP_MS },
          namespaces: { app: { pusher } },
        }),
      ),
    );
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await receiver?.close();
    await deleteRedisPrefix(prefix);
    removeDir(dir);
  });

  it('sends member_removed within the configured lease and sweep', async (t) => {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    const room = 'presence-room';
    const clients: PusherClient[] = [];
    const bob = await connect(a);
    clients.push(bob);
    await subscribe(bob, room, { user_id: 'bob' });
    const carl = await connect(b);
    await subscribe(carl, room, { user_id: 'carl' });
    await frameOf(bob, 'pusher_internal:member_added', room, 'carl', 5000);

    await b.kill9();
    const killedAt = Date.now();
    const left = await frameOf(bob, 'pusher_internal:member_removed', room, 'carl', BOUND_MS);
    const tookMs = Date.now() - killedAt;
    assert.deepEqual(left.data, { user_id: 'carl' });
    const removed = () =>
      receiver.requests
        .flatMap((r) => r.events as { name: string; user_id?: string }[])
        .filter((e) => e.name === 'member_removed' && e.user_id === 'carl').length;
    while (removed() < 1 && Date.now() - killedAt < BOUND_MS) await new Promise((r) => setTimeout(r, 50));
    assert.equal(removed(), 1, 'the member_removed webhook, once');
    assert.ok(receiver.requests.every((r) => r.valid));
    // For the record (not asserted beyond the bound: the machine may be loaded).
    t.diagnostic(`member_removed ${tookMs} ms after the kill (lease ${LEASE_MS} ms, sweep ${SWEEP_MS} ms)`);
    await closeAll(...clients);
    nodes = [a];
  });
});
