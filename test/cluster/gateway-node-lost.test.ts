/**
 * Gateway clients of a node that dies: three nodes over one Redis, one killed with SIGKILL. Its
 * clients' `close` items, which it never pushed, are pushed by a survivor once its lease has
 * expired, exactly once across the cluster although two survivors sweep, with the context a
 * backend last set. Before, backends never learned that those clients had gone.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../helpers/ws-client.js';
import { Backend } from '../protocol/mesh-fixtures.js';
import { deleteRedisPrefix, type NodeProcess, removeDir, SITE, startNode, tempDir } from './helpers.js';

const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;
/** A dead node's lease outlives it by up to its TTL (15 s); survivors sweep every 5 s. */
const BOUND_MS = 15_000 + 2 * 5_000 + 2_000;
const CLIENTS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cluster: gateway clients of a killed node', () => {
  let dir: string;
  let nodes: NodeProcess[] = [];
  let backend: Backend | undefined;
  before(async () => {
    dir = tempDir();
    nodes = await Promise.all([131, 132, 133].map((nodeId) => startNode({ nodeId, prefix, dir })));
  });
  after(async () => {
    await backend?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await deleteRedisPrefix(prefix);
    removeDir(dir);
  });

  it("pushes each of its clients' close item once, from a survivor, with the last context", async () => {
    const [doomed, b] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    backend = await Backend.connect(b.wsUrl(`/ws/v1?site=${SITE.name}&key=${SITE.apiKey}`));
    assert.equal((await backend.request('queue.pop', { t: ['clients'] })).E, null);
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, () => RawClient.connect(doomed.wsUrl(`/client?site=${SITE.name}`))),
    );
    await backend.until(
      () => backend!.events.filter((e) => e.p.d?.event === 'handshake').length === CLIENTS,
      'every handshake',
    );
    const ids: string[] = backend.events.filter((e) => e.p.d?.event === 'handshake').map((e) => e.p.c);
    // The backend logs each client in: routed to the node holding it, which records the context.
    for (const [i, id] of ids.entries()) {
      const r = await backend.request('conn.call', { c: id, f: 'set_context_value', a: ['user_id', i + 1] });
      assert.equal(r.E, null);
    }
    await sleep(200); // the recorded context reaches Redis

    await doomed.kill9();
    const closes = () => backend!.events.filter((e) => e.p.d?.event === 'close');
    await backend.until(() => closes().length === CLIENTS, `${CLIENTS} close items`, BOUND_MS);
    await sleep(2 * 5_000 + 500); // two more sweeps of both survivors: no second copy
    assert.equal(closes().length, CLIENTS, 'each close item once, across the cluster');
    for (const [i, id] of ids.entries()) {
      const mine = closes().filter((e) => e.p.c === id);
      assert.equal(mine.length, 1, `one close item for ${id}`);
      assert.deepEqual(mine[0].p.d, { event: 'close', context: { user_id: i + 1 }, reason: 'node lost' });
      assert.equal(mine[0].p.n, 131, 'the item names the node that held the client');
    }
    await Promise.allSettled(clients.map((c) => c.close()));
  });
});
