/**
 * The OnceStore contract (src/engines/once-store.ts) as executable cases, run against every engine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EngineFactory, engines, fresh } from './harness.js';

export function runOnceStoreSuite(factory: EngineFactory): void {
  describe(`OnceStore conformance: ${factory.name}`, () => {
    const engine = engines(factory);

    describe('claimOnce', () => {
      it('grants the first claim of a key, refuses the rest until the TTL passes', async () => {
        const e = await engine();
        assert.ok(e.once, 'engine implements claimOnce');
        const [k1, k2] = [fresh('once'), fresh('once')];
        assert.equal(await e.once.claim(k1, 300), true);
        assert.equal(await e.once.claim(k1, 300), false);
        assert.equal(await e.once.claim(k2, 300), true);
        const racers = await Promise.all(Array.from({ length: 20 }, () => e.once.claim(k2, 300)));
        assert.ok(racers.every((r) => r === false));
        await new Promise((r) => setTimeout(r, 400));
        assert.equal(await e.once.claim(k1, 300), true);
      });

      it('grants a key to exactly one of two nodes claiming it at once', {
        skip: !factory.multiNode && 'single-node engine',
      }, async () => {
        const a = await engine(61);
        const b = await engine(62);
        const k = fresh('once');
        const wins = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).once.claim(k, 5000)),
        );
        assert.equal(wins.filter(Boolean).length, 1);
      });
    });
  });
}
