/**
 * The ClientLedger contract (src/engines/client-ledger.ts) as executable cases, run through
 * `engine.clients` of every engine. A node "dying" is played by a second engine starting with the
 * same node id while the first never released its clients (what a node restarted after SIGKILL
 * finds); a dead node whose lease expires is test/cluster/gateway-node-lost.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeldClient } from '../../src/engines/client-ledger.js';
import { type EngineFactory, engines, fresh } from './harness.js';

const held = (client: string, context = {}): HeldClient => ({
  client,
  namespace: 'ns',
  topic: 'client',
  context,
});

export function runClientLedgerSuite(factory: EngineFactory): void {
  describe(`ClientLedger conformance: ${factory.name}`, () => {
    const engine = engines(factory);
    const only = (list: HeldClient[], ...ids: string[]) => list.filter((c) => ids.includes(c.client));

    it("never hands out a live node's clients, its own included", async () => {
      const a = await engine(62);
      const b = await engine(63);
      const x = fresh('client');
      await a.clients.hold(held(x));
      assert.deepEqual(only(await b.clients.claimOrphans(), x), []);
      assert.deepEqual(only(await a.clients.claimOrphans(), x), []);
    });

    it("hands a node's unreleased clients, with their last context, to its next process exactly once", {
      skip: !factory.multiNode && 'single-node engine: its clients end with its process',
    }, async () => {
      const first = await engine(61);
      const [x, y, gone] = [fresh('client'), fresh('client'), fresh('client')];
      await first.clients.hold(held(x));
      await first.clients.hold(held(x, { user_id: 7 })); // a context change
      await first.clients.hold(held(y));
      await first.clients.hold(held(gone));
      await first.clients.release(gone); // its own close item went out
      // The process is killed: it releases nothing. The next one starts with the same id.
      const next = await engine(61);
      const claimed = only(await next.clients.claimOrphans(), x, y, gone);
      assert.deepEqual(
        claimed.sort((p, q) => p.client.localeCompare(q.client)),
        [held(x, { user_id: 7 }), held(y)].sort((p, q) => p.client.localeCompare(q.client)),
      );
      assert.deepEqual(only(await next.clients.claimOrphans(), x, y), [], 'only once');
      const other = await engine(65);
      assert.deepEqual(only(await other.clients.claimOrphans(), x, y), [], 'and to no other node');
    });
  });
}
