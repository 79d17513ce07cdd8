/**
 * The ChannelLog contract (src/engines/channel-log.ts) as executable cases, run through `engine.log`
 * of every engine; cases that need several nodes run only for engines that can have several.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Publication } from '../../src/core/types.js';
import { type EngineFactory, engines, fresh, opts, recorder, until } from './harness.js';

export function runChannelLogSuite(factory: EngineFactory): void {
  describe(`ChannelLog conformance: ${factory.name}`, () => {
    const engine = engines(factory);

    describe('ords and history', () => {
      it('numbers publications of a channel +1 each, positive, starting fresh per channel', async () => {
        const e = await engine();
        const [ns, a, b] = [fresh('ns'), fresh('a'), fresh('b')];
        const ordsA: number[] = [];
        for (let i = 0; i < 5; i++)
          ordsA.push((await e.log.publish(ns, a, { data: i }, opts)).publication.ord);
        const firstB = (await e.log.publish(ns, b, { data: 'x' }, opts)).publication.ord;
        assert.ok(ordsA[0]! > 0 && firstB > 0);
        assert.deepEqual(
          ordsA,
          ordsA.map((_, i) => ordsA[0]! + i),
        );
        const again = (await e.log.publish(ns, a, { data: 5 }, opts)).publication.ord;
        assert.equal(again, ordsA[4]! + 1, 'another channel does not consume ords of this one');
      });

      it('keeps contiguous, unique ords under 200 concurrent publishes and delivers them in order', async () => {
        const rec = recorder();
        const e = await engine(1, rec);
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        await e.log.watch(ns, ch);
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => e.log.publish(ns, ch, { data: i }, { historySize: 300 })),
        );
        const ords = results.map((r) => r.publication.ord).sort((x, y) => x - y);
        for (let i = 1; i < ords.length; i++) assert.equal(ords[i], ords[i - 1]! + 1);
        await until(() => rec.received.length === 200);
        const delivered = rec.received.map((r) => r.p.ord);
        assert.deepEqual(delivered, ords, 'delivered in ord order, each once');
      });

      it('bounds history to historySize, oldest dropped first, and reports top', async () => {
        const e = await engine();
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        const pubs: Publication[] = [];
        for (let i = 0; i < 15; i++) pubs.push((await e.log.publish(ns, ch, { data: i }, opts)).publication);
        const all = await e.log.history(ns, ch, { after: 0 });
        assert.equal(all.top, pubs[14]!.ord);
        assert.deepEqual(
          all.publications.map((p) => p.data),
          [5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
        );
      });

      it('reads after N, the last K, and top alone', async () => {
        const e = await engine();
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        const pubs: Publication[] = [];
        for (let i = 0; i < 5; i++)
          pubs.push((await e.log.publish(ns, ch, { data: i, event: 'ev' }, opts)).publication);
        const afterSecond = await e.log.history(ns, ch, { after: pubs[1]!.ord });
        assert.deepEqual(
          afterSecond.publications.map((p) => p.ord),
          pubs.slice(2).map((p) => p.ord),
        );
        assert.equal(afterSecond.publications[0]!.event, 'ev', 'fields survive storage');
        assert.deepEqual((await e.log.history(ns, ch, { after: pubs[4]!.ord })).publications, []);
        const last = await e.log.history(ns, ch, { last: 1 });
        assert.deepEqual(
          last.publications.map((p) => p.data),
          [4],
        );
        const topOnly = await e.log.history(ns, ch, { last: 0 });
        assert.deepEqual(topOnly, { publications: [], top: pubs[4]!.ord });
        const limited = await e.log.history(ns, ch, { after: 0, limit: 2 });
        assert.deepEqual(
          limited.publications.map((p) => p.data),
          [0, 1],
        );
      });

      it('answers an unknown channel with an empty history and top 0', async () => {
        const e = await engine();
        assert.deepEqual(await e.log.history(fresh('ns'), fresh('ch'), { after: 0 }), {
          publications: [],
          top: 0,
        });
      });

      it('stores binary data, sender and id', async () => {
        const e = await engine();
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        const bytes = Buffer.from([0, 1, 2, 255]);
        await e.log.publish(ns, ch, { data: bytes, sender: 'ann', id: 'x1' }, opts);
        const [p] = (await e.log.history(ns, ch, { after: 0 })).publications;
        assert.ok(Buffer.isBuffer(p!.data));
        assert.deepEqual(p!.data, bytes);
        assert.equal(p!.sender, 'ann');
        assert.equal(p!.id, 'x1');
        assert.ok(Math.abs(p!.time - Date.now()) < 60_000);
      });

      it('keeps namespaces apart', async () => {
        const e = await engine();
        const [a, b, ch] = [fresh('nsa'), fresh('nsb'), fresh('ch')];
        await e.log.publish(a, ch, { data: 'in a' }, opts);
        assert.deepEqual((await e.log.history(b, ch, { after: 0 })).publications, []);
        assert.deepEqual(await e.log.channels(b), []);
        assert.deepEqual(
          (await e.log.channels(a)).map((c) => [c.name, c.last?.data]),
          [[ch, 'in a']],
        );
      });
    });

    describe('dropChannel', () => {
      it('forgets the channel and its history; a new publish counts on above the old ords', async () => {
        const e = await engine();
        const [ns, ch, other] = [fresh('nsd'), fresh('ch'), fresh('keep')];
        await e.log.publish(ns, ch, { data: 1 }, opts);
        const second = await e.log.publish(ns, ch, { data: 2 }, opts);
        await e.log.publish(ns, other, { data: 'stays' }, opts);
        await e.log.dropChannel(ns, ch);
        assert.deepEqual(
          (await e.log.channels(ns)).map((c) => c.name),
          [other],
        );
        assert.deepEqual((await e.log.history(ns, ch, { after: 0 })).publications, []);
        const again = await e.log.publish(ns, ch, { data: 3 }, opts);
        assert.ok(again.publication.ord > second.publication.ord);
        assert.deepEqual(
          (await e.log.history(ns, ch, { after: 0 })).publications.map((p) => p.data),
          [3],
        );
        assert.deepEqual((await e.log.history(ns, other, { after: 0 })).publications.length, 1);
        // Dropping an unknown channel is not an error.
        await e.log.dropChannel(ns, fresh('never'));
      });
    });

    describe('delivery', () => {
      it('hands a watched channel publication to the node and returns counts when asked', async () => {
        const rec = recorder({ delivered: 3, failed: 1 });
        const e = await engine(1, rec);
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        await e.log.watch(ns, ch);
        const res = await e.log.publish(ns, ch, { data: 'hi' }, { ...opts, count: true });
        assert.deepEqual(res.delivered, { delivered: 3, failed: 1 });
        await until(() => rec.received.length === 1);
        assert.equal(rec.received[0]!.p.ord, res.publication.ord);
        const history = await e.log.history(ns, ch, { after: 0 });
        assert.deepEqual(
          history.publications.map((p) => p.ord),
          [res.publication.ord],
          'what was delivered is in history',
        );
      });

      it('delivers every channel of a namespace to a namespace watcher', async () => {
        const rec = recorder();
        const e = await engine(1, rec);
        const ns = fresh('ns');
        await e.log.watchNamespace(ns);
        await e.log.publish(ns, 'one', { data: 1 }, opts);
        await e.log.publish(ns, 'two', { data: 2 }, opts);
        await e.log.publish(fresh('other'), 'one', { data: 3 }, opts);
        await until(() => rec.received.length >= 2);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(
          rec.received.filter((r) => r.ns === ns).map((r) => r.p.channel),
          ['one', 'two'],
        );
      });

      it('treats a channel named * as an ordinary channel: ending its watch keeps the namespace watch', async () => {
        const rec = recorder();
        const e = await engine(1, rec);
        const ns = fresh('ns');
        await e.log.watchNamespace(ns);
        await e.log.watch(ns, '*');
        await e.log.unwatch(ns, '*');
        await e.log.publish(ns, 'one', { data: 1 }, opts);
        await e.log.publish(ns, '*', { data: 2 }, opts);
        await until(() => rec.received.filter((r) => r.ns === ns).length >= 2);
        assert.deepEqual(
          rec.received.filter((r) => r.ns === ns).map((r) => r.p.channel),
          ['one', '*'],
        );
      });

      it('hands a watcher of channel * the publications of * in its own namespace', async () => {
        const rec = recorder();
        const e = await engine(1, rec);
        const [ns, other] = [fresh('ns'), fresh('other')];
        await e.log.watch(ns, '*');
        await e.log.publish(other, '*', { data: 0 }, opts);
        await e.log.publish(ns, '*', { data: 1 }, opts);
        await until(() => rec.received.some((r) => r.ns === ns));
        assert.deepEqual(
          rec.received.filter((r) => r.ns === ns).map((r) => r.p.data),
          [1],
        );
      });

      if (factory.multiNode) {
        // A single-node engine hands its one node every publication (its hub holds every
        // subscriber); an engine of several nodes hands a node only what it watches.
        it('does not make a watch of channel * a watch of the namespace', async () => {
          const rec = recorder();
          const watcher = await engine(1, rec);
          const publisher = await engine(2);
          const ns = fresh('ns');
          await watcher.log.watch(ns, '*');
          await publisher.log.publish(ns, 'news', { data: 1 }, opts);
          await publisher.log.publish(ns, '*', { data: 2 }, opts);
          await until(() => rec.received.some((r) => r.p.channel === '*'));
          assert.deepEqual(
            rec.received.filter((r) => r.ns === ns).map((r) => r.p.channel),
            ['*'],
            'the publication of "news", made first, is not handed over',
          );
        });
      }
    });

    describe('cluster', () => {
      const skip = !factory.multiNode && 'single-node engine';
      it('gives every node the same order under concurrent publishers on two nodes', { skip }, async () => {
        const recA = recorder();
        const recB = recorder();
        const a = await engine(21, recA);
        const b = await engine(22, recB);
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        await a.log.watch(ns, ch);
        await b.log.watch(ns, ch);
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            (i % 2 ? a : b).log.publish(ns, ch, { data: i }, { historySize: 200 }),
          ),
        );
        await until(() => recA.received.length === 100 && recB.received.length === 100);
        const seqA = recA.received.map((r) => r.p.ord);
        assert.deepEqual(
          recB.received.map((r) => r.p.ord),
          seqA,
        );
        for (let i = 1; i < seqA.length; i++) assert.equal(seqA[i], seqA[i - 1]! + 1);
      });

      it('counts deliveries over every node', { skip }, async () => {
        const a = await engine(31, recorder({ delivered: 2, failed: 0 }));
        const b = await engine(32, recorder({ delivered: 3, failed: 1 }));
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        await a.log.watch(ns, ch);
        await b.log.watch(ns, ch);
        const res = await a.log.publish(ns, ch, { data: 1 }, { ...opts, count: true });
        assert.deepEqual(res.delivered, { delivered: 5, failed: 1 });
      });
    });
  });
}
