// The PresenceStore contract (src/engines/presence.ts), run against every implementation: users
// not connections, each transition reported once even under concurrency, the member limit,
// namespaces apart, and (for stores shared by several nodes) a dead node's members removed.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Departure, PresenceStore } from '../../src/engines/presence.js';

export interface PresenceNode {
  store: PresenceStore;
  nodeId: number;
}

export interface PresenceSuiteOptions {
  name: string;
  /** A store as node `nodeId` sees it; several calls share state when `multiNode`. */
  create(nodeId: number): Promise<PresenceNode>;
  multiNode: boolean;
  /** Declare node `nodeId` dead and let node `survivor` sweep (multi-node stores only). */
  killAndSweep?(nodeId: number, survivor: PresenceNode): Promise<void>;
  cleanup(): Promise<void>;
}

let seq = 0;
const unique = (what: string) => `${what}-${process.pid}-${++seq}`;

export function runPresenceSuite(o: PresenceSuiteOptions): void {
  describe(`presence store conformance: ${o.name}`, () => {
    const nodes: PresenceNode[] = [];
    const node = async (id: number) => {
      const n = await o.create(id);
      nodes.push(n);
      return n;
    };
    after(async () => {
      for (const n of nodes) await n.store.close();
      await o.cleanup();
    });
    const join = (
      s: PresenceStore,
      ns: string,
      ch: string,
      conn: string,
      user: string,
      nodeId = 1,
      info?: unknown,
    ) =>
      s.join(ns, ch, {
        connection: conn,
        node: nodeId,
        member: info === undefined ? { userId: user } : { userId: user, info: info as never },
        maxMembers: 100,
      });

    it('reports a user’s first join and last leave only, however many connections it has', async () => {
      const { store } = await node(1);
      const ns = unique('ns');
      assert.deepEqual(await join(store, ns, 'presence-a', 'c1', 'ann', 1, { n: 1 }), {
        full: false,
        first: true,
      });
      assert.deepEqual(await join(store, ns, 'presence-a', 'c2', 'ann', 1, { n: 2 }), {
        full: false,
        first: false,
      });
      assert.deepEqual(
        await join(store, ns, 'presence-a', 'c1', 'ann'),
        { full: false, first: false },
        'a repeated join',
      );
      assert.deepEqual(await store.members(ns, 'presence-a'), [{ userId: 'ann', info: { n: 1 } }]);
      assert.deepEqual(await store.leave(ns, 'presence-a', 'c1'), { userId: 'ann', last: false });
      assert.equal(await store.leave(ns, 'presence-a', 'c1'), undefined, 'a repeated leave');
      assert.deepEqual(await store.leave(ns, 'presence-a', 'c2'), { userId: 'ann', last: true });
      assert.deepEqual(await store.members(ns, 'presence-a'), []);
      assert.equal((await store.channels(ns)).size, 0);
    });

    it('reports exactly one first and one last under concurrent joins and leaves', async () => {
      const { store } = await node(1);
      const ns = unique('ns');
      const conns = Array.from({ length: 20 }, (_, i) => `k${i}`);
      const joins = await Promise.all(conns.map((c) => join(store, ns, 'presence-race', c, 'bob')));
      assert.equal(joins.filter((j) => !j.full && j.first).length, 1);
      const leaves = await Promise.all(conns.map((c) => store.leave(ns, 'presence-race', c)));
      assert.equal(leaves.filter((l) => l?.last).length, 1);
      assert.equal(leaves.filter((l) => l === undefined).length, 0);
    });

    it('counts users per channel and refuses a new user past the limit, not a member', async () => {
      const { store } = await node(1);
      const ns = unique('ns');
      const limited = (conn: string, user: string) =>
        store.join(ns, 'presence-small', {
          connection: conn,
          node: 1,
          member: { userId: user },
          maxMembers: 2,
        });
      assert.equal((await limited('a', 'u1')).full, false);
      assert.equal((await limited('b', 'u2')).full, false);
      assert.deepEqual(await limited('c', 'u3'), { full: true });
      assert.deepEqual(await limited('d', 'u1'), { full: false, first: false });
      await join(store, ns, 'presence-other', 'e', 'u9');
      assert.deepEqual([...(await store.channels(ns))].sort(), [
        ['presence-other', 1],
        ['presence-small', 2],
      ]);
    });

    it('keeps namespaces apart', async () => {
      const { store } = await node(1);
      const a = unique('ns');
      const b = unique('ns');
      await join(store, a, 'presence-x', 'c1', 'ann');
      assert.deepEqual(await join(store, b, 'presence-x', 'c1', 'ann'), { full: false, first: true });
      assert.deepEqual(await store.members(b, 'presence-x'), [{ userId: 'ann' }]);
      assert.deepEqual(await store.leave(a, 'presence-x', 'c1'), { userId: 'ann', last: true });
      assert.deepEqual(await store.members(b, 'presence-x'), [{ userId: 'ann' }]);
    });

    if (o.multiNode) {
      it('shares members between nodes: a user on two nodes is one member', async () => {
        const one = await node(1);
        const two = await node(2);
        const ns = unique('ns');
        assert.deepEqual(await join(one.store, ns, 'presence-m', 'n1c', 'ann', 1), {
          full: false,
          first: true,
        });
        assert.deepEqual(await join(two.store, ns, 'presence-m', 'n2c', 'ann', 2), {
          full: false,
          first: false,
        });
        assert.deepEqual(await two.store.members(ns, 'presence-m'), [{ userId: 'ann' }]);
        assert.deepEqual(await one.store.leave(ns, 'presence-m', 'n1c'), { userId: 'ann', last: false });
        assert.deepEqual(await two.store.leave(ns, 'presence-m', 'n2c'), { userId: 'ann', last: true });
      });

      it('removes a dead node’s members and reports each departure once, on one node', async () => {
        const survivor = await node(1);
        const other = await node(3);
        const dying = await node(2);
        const ns = unique('ns');
        await join(survivor.store, ns, 'presence-d', 's1', 'stays', 1);
        await join(dying.store, ns, 'presence-d', 'd1', 'stays', 2);
        await join(dying.store, ns, 'presence-d', 'd2', 'goes', 2);
        await join(dying.store, ns, 'presence-e', 'd3', 'goes', 2);
        const reported: Departure[] = [];
        survivor.store.onDeparted = (d) => reported.push(...d);
        other.store.onDeparted = (d) => reported.push(...d);
        await Promise.all([o.killAndSweep!(2, survivor), o.killAndSweep!(2, other)]);
        assert.deepEqual(reported.map((d) => `${d.channel}/${d.userId}`).sort(), [
          'presence-d/goes',
          'presence-e/goes',
        ]);
        assert.ok(reported.every((d) => d.namespace === ns));
        assert.deepEqual(await survivor.store.members(ns, 'presence-d'), [{ userId: 'stays' }]);
        assert.deepEqual(await survivor.store.members(ns, 'presence-e'), []);
      });
    }
  });
}
