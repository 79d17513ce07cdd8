/**
 * The QueueStore contract (src/engines/queue-store.ts) as executable cases, run through
 * `engine.queues` of every engine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueueItem } from '../../src/core/types.js';
import type { Engine } from '../../src/engines/engine.js';
import { type EngineFactory, engines, fresh, item, LIMITS, until } from './harness.js';

export function runQueueStoreSuite(factory: EngineFactory): void {
  describe(`QueueStore conformance: ${factory.name}`, () => {
    const engine = engines(factory);

    describe('queues', () => {
      it('hands each item to exactly one consumer, round-robin', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const got: Record<string, number[]> = { a: [], b: [] };
        const detachA = await e.queues.consume(ns, topic, {
          id: 'a',
          deliver: (i) => got.a!.push(i.data as number) > 0,
        });
        const detachB = await e.queues.consume(ns, topic, {
          id: 'b',
          deliver: (i) => got.b!.push(i.data as number) > 0,
        });
        for (let i = 0; i < 100; i++)
          await e.queues.push(ns, topic, item(i, topic), {
            topicSize: 1000,
            topicBytes: 1 << 20,
            maxTopics: 10,
          });
        await until(() => got.a!.length + got.b!.length === 100);
        const all = [...got.a!, ...got.b!].sort((x, y) => x - y);
        assert.deepEqual(
          all,
          Array.from({ length: 100 }, (_, i) => i),
        );
        assert.ok(
          Math.abs(got.a!.length - got.b!.length) <= 2,
          `round-robin split ${got.a!.length}/${got.b!.length}`,
        );
        await detachA();
        await detachB();
      });

      it('keeps items while no consumer exists and delivers them, in order, when one arrives', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        for (let i = 0; i < 3; i++) await e.queues.push(ns, topic, item(i, topic), LIMITS);
        assert.equal(await e.queues.hasConsumer(ns, topic), false);
        const got: number[] = [];
        await e.queues.consume(ns, topic, { id: 'c', deliver: (i) => got.push(i.data as number) > 0 });
        assert.equal(await e.queues.hasConsumer(ns, topic), true);
        await until(() => got.length === 3);
        assert.deepEqual(got, [0, 1, 2]);
      });

      it('offers an item a consumer could not take to another, and keeps it when none can', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const got: number[] = [];
        await e.queues.consume(ns, topic, { id: 'busy', deliver: () => false });
        await e.queues.push(ns, topic, item(1, topic), LIMITS);
        await new Promise((r) => setTimeout(r, 50));
        const stats = await e.queues.stats(ns);
        assert.equal(stats.find((s) => s.topic === topic)?.depth, 1, 'kept while nobody could take it');
        await e.queues.consume(ns, topic, { id: 'free', deliver: (i) => got.push(i.data as number) > 0 });
        await until(() => got.length === 1);
        assert.deepEqual(got, [1]);
      });

      it('drops the oldest item past topicSize and counts it', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        let dropped = 0;
        for (let i = 0; i < 8; i++)
          dropped += (await e.queues.push(ns, topic, item(i, topic), LIMITS)).dropped;
        assert.equal(dropped, 3);
        const got: number[] = [];
        await e.queues.consume(ns, topic, { id: 'c', deliver: (i) => got.push(i.data as number) > 0 });
        await until(() => got.length === 5);
        assert.deepEqual(got, [3, 4, 5, 6, 7]);
        assert.equal((await e.queues.stats(ns)).find((s) => s.topic === topic)?.dropped, 3);
      });

      // An item of about 1 KB that takes the same bytes for every i below 10.
      // Every padded item names the same topic inside, so they all have one size (the probe's too).
      const padded = (i: number, _topic: string): QueueItem => ({
        ...item(i, 'jobs'),
        data: { i, pad: 'x'.repeat(1000) },
      });
      const got = (i: QueueItem) => (i.data as { i: number }).i;
      /** Bytes one padded item takes in the engine's own accounting (its stored form). */
      const storedSize = async (e: Engine, ns: string): Promise<number> => {
        await e.queues.push(ns, 'probe', padded(0, 'probe'), {
          topicSize: 10,
          topicBytes: 1 << 20,
          maxTopics: 10,
        });
        const bytes = (await e.queues.stats(ns)).find((s) => s.topic === 'probe')?.bytes ?? 0;
        assert.ok(bytes > 1000, `a padded item is over 1000 bytes: ${bytes}`);
        return bytes;
      };

      it('drops the oldest items past topicBytes, counts them and keeps the byte count', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const size = await storedSize(e, ns);
        const limits = { topicSize: 1000, topicBytes: Math.floor(size * 3.5), maxTopics: 10 };
        let dropped = 0;
        let droppedForBytes = 0;
        for (let i = 0; i < 10; i++) {
          const r = await e.queues.push(ns, topic, padded(i, topic), limits);
          dropped += r.dropped;
          droppedForBytes += r.droppedForBytes;
        }
        assert.deepEqual({ dropped, droppedForBytes }, { dropped: 7, droppedForBytes: 7 });
        const before = (await e.queues.stats(ns)).find((s) => s.topic === topic);
        assert.deepEqual(
          { depth: before?.depth, bytes: before?.bytes, dropped: before?.dropped },
          { depth: 3, bytes: 3 * size, dropped: 7 },
        );
        const seen: number[] = [];
        await e.queues.consume(ns, topic, { id: 'c', deliver: (i) => seen.push(got(i)) > 0 });
        await until(() => seen.length === 3);
        assert.deepEqual(seen, [7, 8, 9], 'the newest items waited');
        const after = (await e.queues.stats(ns)).find((s) => s.topic === topic);
        assert.equal(after?.bytes, 0, 'popped items leave the byte count');
      });

      it('drops an item larger than topicBytes on its own and leaves the topic as it was', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const size = await storedSize(e, ns);
        const limits = { topicSize: 1000, topicBytes: size * 2, maxTopics: 10 };
        await e.queues.push(ns, topic, padded(0, topic), limits);
        await e.queues.push(ns, topic, padded(1, topic), limits);
        const huge: QueueItem = { ...item(2, topic), data: 'y'.repeat(size * 3) };
        assert.deepEqual(await e.queues.push(ns, topic, huge, limits), { dropped: 1, droppedForBytes: 1 });
        const stats = (await e.queues.stats(ns)).find((s) => s.topic === topic);
        assert.deepEqual(
          { depth: stats?.depth, bytes: stats?.bytes, dropped: stats?.dropped },
          { depth: 2, bytes: 2 * size, dropped: 1 },
        );
      });

      it('keeps the byte count of items every consumer refused', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const size = await storedSize(e, ns);
        const limits = { topicSize: 1000, topicBytes: size * 10, maxTopics: 10 };
        await e.queues.consume(ns, topic, { id: 'busy', deliver: () => false });
        for (let i = 0; i < 3; i++) await e.queues.push(ns, topic, padded(i, topic), limits);
        await new Promise((r) => setTimeout(r, 100)); // offered, refused, put back
        const stats = (await e.queues.stats(ns)).find((s) => s.topic === topic);
        assert.deepEqual({ depth: stats?.depth, bytes: stats?.bytes }, { depth: 3, bytes: 3 * size });
      });

      it('bounds the number of topics per namespace', async () => {
        const e = await engine();
        const ns = fresh('ns');
        let dropped = 0;
        for (let t = 0; t < 5; t++)
          dropped += (await e.queues.push(ns, `t${t}`, item(t, `t${t}`), LIMITS)).dropped;
        const stats = await e.queues.stats(ns);
        assert.ok(stats.filter((s) => s.depth > 0).length <= LIMITS.maxTopics);
        assert.equal(dropped, 2);
      });

      it('stops delivering to a detached consumer; its topic keeps the items', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const got: number[] = [];
        const detach = await e.queues.consume(ns, topic, {
          id: 'c',
          deliver: (i) => got.push(i.data as number) > 0,
        });
        await detach();
        assert.equal(await e.queues.hasConsumer(ns, topic), false);
        await e.queues.push(ns, topic, item(9, topic), LIMITS);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(got, []);
        assert.equal((await e.queues.stats(ns)).find((s) => s.topic === topic)?.depth, 1);
      });

      it('keeps topics of different namespaces apart', async () => {
        const e = await engine();
        const [a, b, topic] = [fresh('nsa'), fresh('nsb'), fresh('t')];
        const got: number[] = [];
        await e.queues.consume(a, topic, { id: 'c', deliver: (i) => got.push(i.data as number) > 0 });
        await e.queues.push(b, topic, item(1, topic), LIMITS);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(got, []);
        assert.equal(await e.queues.hasConsumer(b, topic), false);
      });

      it('sees a consumer on another node', {
        skip: !factory.multiNode && 'single-node engine',
      }, async () => {
        const a = await engine(41);
        const b = await engine(42);
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const got: number[] = [];
        await b.queues.consume(ns, topic, { id: 'c', deliver: (i) => got.push(i.data as number) > 0 });
        assert.equal(await a.queues.hasConsumer(ns, topic), true);
        for (let i = 0; i < 20; i++)
          await a.queues.push(ns, topic, item(i, topic), {
            topicSize: 100,
            topicBytes: 1 << 20,
            maxTopics: 10,
          });
        await until(() => got.length === 20);
        assert.deepEqual(
          got,
          Array.from({ length: 20 }, (_, i) => i),
        );
      });
    });

    // Added with the mesh dialect: backends on /ws/v1 come, go, fall behind and fail
    // writes while items flow; none of that may lose or duplicate an item.
    describe('queues: consumers that come, go and fail', () => {
      const BIG = { topicSize: 5000, topicBytes: 1 << 20, maxTopics: 10 };
      const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
      const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);

      it('hands what a refusing consumer could not take to the others: every item exactly once', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const steady: number[] = [];
        const flaky: number[] = [];
        const leaving: number[] = [];
        let flakyCalls = 0;
        let leavingOpen = true;
        await e.queues.consume(ns, topic, {
          id: 'steady',
          deliver: (i) => steady.push(i.data as number) > 0,
        });
        // Refuses every other item, as a socket momentarily too far behind would.
        await e.queues.consume(ns, topic, {
          id: 'flaky',
          deliver: (i) => ++flakyCalls % 2 === 0 && flaky.push(i.data as number) > 0,
        });
        // Takes items until its socket "closes" a third of the way through, then refuses all.
        await e.queues.consume(ns, topic, {
          id: 'leaving',
          deliver: (i) => leavingOpen && leaving.push(i.data as number) > 0,
        });
        const n = 600;
        for (let i = 0; i < n; i++) {
          if (i === n / 3) leavingOpen = false;
          await e.queues.push(ns, topic, item(i, topic), BIG);
        }
        await until(() => steady.length + flaky.length + leaving.length >= n);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(sorted([...steady, ...flaky, ...leaving]), range(0, n));
        assert.ok(flaky.length > 0 && leaving.length > 0, 'every consumer took part');
      });

      it('keeps FIFO order across a consumer leaving and the next one arriving', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const first: number[] = [];
        const second: number[] = [];
        const detach = await e.queues.consume(ns, topic, {
          id: 'first',
          deliver: (i) => first.push(i.data as number) > 0,
        });
        for (let i = 0; i < 100; i++) await e.queues.push(ns, topic, item(i, topic), BIG);
        await until(() => first.length === 100);
        await detach();
        for (let i = 100; i < 300; i++) await e.queues.push(ns, topic, item(i, topic), BIG);
        await e.queues.consume(ns, topic, {
          id: 'second',
          deliver: (i) => second.push(i.data as number) > 0,
        });
        await until(() => second.length === 200);
        assert.deepEqual([...first, ...second], range(0, 300));
      });

      it('never calls a consumer after its detach resolved, while items keep flowing', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const a: number[] = [];
        const b: number[] = [];
        let detached = false;
        let lateCalls = 0;
        const detachA = await e.queues.consume(ns, topic, {
          id: 'a',
          deliver: (i) => {
            if (detached) lateCalls++;
            return a.push(i.data as number) > 0;
          },
        });
        await e.queues.consume(ns, topic, { id: 'b', deliver: (i) => b.push(i.data as number) > 0 });
        const pushes: Promise<unknown>[] = [];
        for (let i = 0; i < 150; i++) pushes.push(e.queues.push(ns, topic, item(i, topic), BIG));
        await until(() => a.length >= 10);
        await detachA();
        detached = true;
        for (let i = 150; i < 300; i++) pushes.push(e.queues.push(ns, topic, item(i, topic), BIG));
        await Promise.all(pushes);
        await until(() => a.length + b.length >= 300);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(lateCalls, 0, 'no delivery to a detached consumer');
        assert.deepEqual(sorted([...a, ...b]), range(0, 300));
      });

      it('delivers each item once with consumers and producers on two nodes', {
        skip: !factory.multiNode && 'single-node engine',
      }, async () => {
        const n1 = await engine(51);
        const n2 = await engine(52);
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const got: number[] = [];
        const take = (i: QueueItem) => got.push(i.data as number) > 0;
        await n1.queues.consume(ns, topic, { id: 'c1', deliver: take });
        await n2.queues.consume(ns, topic, { id: 'c2', deliver: take });
        await Promise.all(
          range(0, 400).map((i) => (i % 2 ? n1 : n2).queues.push(ns, topic, item(i, topic), BIG)),
        );
        await until(() => got.length >= 400, 10_000);
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(sorted(got), range(0, 400));
      });
    });
  });
}
