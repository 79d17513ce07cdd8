/**
 * The NodeControl contract (src/engines/engine.ts) and the NodeRegistry contract
 * (src/engines/node-registry.ts) as executable cases, run against every engine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EngineFactory, engines, recorder } from './harness.js';

export function runNodeControlSuite(factory: EngineFactory): void {
  describe(`NodeControl and NodeRegistry conformance: ${factory.name}`, () => {
    const engine = engines(factory);

    describe('control', () => {
      it('reaches onControl on its own node', async () => {
        const rec = recorder();
        const e = await engine(7, rec);
        const reply = await e.control.request(7, { type: 'send', client: '1', data: 'x', binary: false });
        assert.deepEqual(reply, { ok: true, result: 'handled send' });
        assert.equal(rec.controls.length, 1);
      });

      it('answers ok:false in bounded time for a node that does not exist', async () => {
        const e = await engine(1);
        const t0 = Date.now();
        const reply = await e.control.request(1000, {
          type: 'call',
          client: '1',
          call: { fn: 'unsubscribe', channels: ['x'] },
        });
        assert.equal(reply.ok, false);
        assert.ok(Date.now() - t0 < 10_000);
      });

      it('reaches onControl on another node of the cluster', {
        skip: !factory.multiNode && 'single-node engine',
      }, async () => {
        const recB = recorder();
        const a = await engine(11);
        await engine(12, recB);
        const reply = await a.control.request(12, {
          type: 'disconnect',
          client: '5',
          code: 1000,
          reason: 'bye',
        });
        assert.deepEqual(reply, { ok: true, result: 'handled disconnect' });
        assert.equal(recB.controls[0]!.type, 'disconnect');
      });

      it('lists its own node among the nodes once started', async () => {
        const e = await engine(21);
        const nodes = await e.registry.nodes();
        assert.ok(nodes.includes(21), `nodes() answered ${JSON.stringify(nodes)}`);
        assert.equal(nodes.filter((n) => n === 21).length, 1, 'listed once');
      });

      it('lists every started node of the cluster, and hands an inspect message on', {
        skip: !factory.multiNode && 'single-node engine',
      }, async () => {
        const recB = recorder();
        const a = await engine(22);
        await engine(23, recB);
        const nodes = await a.registry.nodes();
        assert.ok(nodes.includes(22) && nodes.includes(23), `nodes() answered ${JSON.stringify(nodes)}`);
        assert.deepEqual(
          nodes,
          [...nodes].sort((x, y) => x - y),
          'ascending',
        );
        const reply = await a.control.request(23, { type: 'inspect', what: 'stats', namespace: 'ns' });
        assert.deepEqual(reply, { ok: true, result: 'handled inspect' });
        assert.deepEqual(recB.controls[0], { type: 'inspect', what: 'stats', namespace: 'ns' });
      });
    });
  });
}
