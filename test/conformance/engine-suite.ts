/**
 * The engine conformance suite: the contract of src/engines/engine.ts as executable cases. Every
 * engine runs it unchanged (`runEngineSuite(factory)`); cases that need several nodes run only for
 * engines that can have several.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { Publication, QueueItem } from '../../src/core/types.js';
import type { ControlMessage, Engine, EngineHandlers } from '../../src/engines/engine.js';

export interface EngineFactory {
  name: string;
  /** A started-able engine for node `nodeId`; engines made by one factory share cluster state. */
  create(nodeId: number): Promise<Engine>;
  /** Can engines of this factory form a cluster? (memory: no, by design) */
  multiNode: boolean;
  /** Remove everything the run left behind (e.g. Redis keys under the run's prefix). */
  cleanup?(): Promise<void>;
}

export interface Recorder extends EngineHandlers {
  received: { ns: string; p: Publication }[];
  controls: ControlMessage[];
}

export function recorder(counts = { s: 1, f: 0 }): Recorder {
  const r: Recorder = {
    received: [],
    controls: [],
    onPublication(ns, p) {
      r.received.push({ ns, p });
      return counts;
    },
    async onControl(m) {
      r.controls.push(m);
      return { ok: true, result: `handled ${m.type}` };
    },
  };
  return r;
}

const opts = { historySize: 10 };
const LIMITS = { topicSize: 5, maxTopics: 3 };
let uniq = 0;
/** A fresh name per case, so engines sharing state (Redis) never see another case's data. */
const fresh = (what: string) => `${what}-${process.pid}-${++uniq}`;
const item = (d: number, t = 'jobs'): QueueItem => ({ n: 1, c: '42', t, d });

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function runEngineSuite(factory: EngineFactory): void {
  describe(`engine conformance: ${factory.name}`, () => {
    const started: Engine[] = [];
    async function engine(nodeId = 1, handlers: EngineHandlers = recorder()): Promise<Engine> {
      const e = await factory.create(nodeId);
      await e.start(handlers);
      started.push(e);
      return e;
    }
    afterEach(async () => {
      await Promise.all(started.splice(0).map((e) => e.close()));
    });
    after(async () => {
      await factory.cleanup?.();
    });

    describe('ords and history', () => {
      it('numbers publications of a channel +1 each, positive, starting fresh per channel', async () => {
        const e = await engine();
        const [ns, a, b] = [fresh('ns'), fresh('a'), fresh('b')];
        const ordsA: number[] = [];
        for (let i = 0; i < 5; i++) ordsA.push((await e.publish(ns, a, { data: i }, opts)).publication.ord);
        const firstB = (await e.publish(ns, b, { data: 'x' }, opts)).publication.ord;
        assert.ok(ordsA[0]! > 0 && firstB > 0);
        assert.deepEqual(
          ordsA,
          ordsA.map((_, i) => ordsA[0]! + i),
        );
        const again = (await e.publish(ns, a, { data: 5 }, opts)).publication.ord;
        assert.equal(again, ordsA[4]! + 1, 'another channel does not consume ords of this one');
      });

      it('keeps contiguous, unique ords under 200 concurrent publishes and delivers them in order', async () => {
        const rec = recorder();
        const e = await engine(1, rec);
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        await e.watch(ns, ch);
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => e.publish(ns, ch, { data: i }, { historySize: 300 })),
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
        for (let i = 0; i < 15; i++) pubs.push((await e.publish(ns, ch, { data: i }, opts)).publication);
        const all = await e.history(ns, ch, { after: 0 });
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
          pubs.push((await e.publish(ns, ch, { data: i, event: 'ev' }, opts)).publication);
        const afterSecond = await e.history(ns, ch, { after: pubs[1]!.ord });
        assert.deepEqual(
          afterSecond.publications.map((p) => p.ord),
          pubs.slice(2).map((p) => p.ord),
        );
        assert.equal(afterSecond.publications[0]!.event, 'ev', 'fields survive storage');
        assert.deepEqual((await e.history(ns, ch, { after: pubs[4]!.ord })).publications, []);
        const last = await e.history(ns, ch, { last: 1 });
        assert.deepEqual(
          last.publications.map((p) => p.data),
          [4],
        );
        const topOnly = await e.history(ns, ch, { last: 0 });
        assert.deepEqual(topOnly, { publications: [], top: pubs[4]!.ord });
        const limited = await e.history(ns, ch, { after: 0, limit: 2 });
        assert.deepEqual(
          limited.publications.map((p) => p.data),
          [0, 1],
        );
      });

      it('answers an unknown channel with an empty history and top 0', async () => {
        const e = await engine();
        assert.deepEqual(await e.history(fresh('ns'), fresh('ch'), { after: 0 }), {
          publications: [],
          top: 0,
        });
      });

      it('stores binary data, sender and id', async () => {
        const e = await engine();
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        const bytes = Buffer.from([0, 1, 2, 255]);
        await e.publish(ns, ch, { data: bytes, sender: 'ann', id: 'x1' }, opts);
        const [p] = (await e.history(ns, ch, { after: 0 })).publications;
        assert.ok(Buffer.isBuffer(p!.data));
        assert.deepEqual(p!.data, bytes);
        assert.equal(p!.sender, 'ann');
        assert.equal(p!.id, 'x1');
        assert.ok(Math.abs(p!.time - Date.now()) < 60_000);
      });

      it('keeps namespaces apart', async () => {
        const e = await engine();
        const [a, b, ch] = [fresh('nsa'), fresh('nsb'), fresh('ch')];
        await e.publish(a, ch, { data: 'in a' }, opts);
        assert.deepEqual((await e.history(b, ch, { after: 0 })).publications, []);
        assert.deepEqual(await e.channels(b), []);
        assert.deepEqual(
          (await e.channels(a)).map((c) => [c.name, c.last?.data]),
          [[ch, 'in a']],
        );
      });
    });

    describe('delivery', () => {
      it('hands a watched channel publication to the node and returns counts when asked', async () => {
        const rec = recorder({ s: 3, f: 1 });
        const e = await engine(1, rec);
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        await e.watch(ns, ch);
        const res = await e.publish(ns, ch, { data: 'hi' }, { ...opts, count: true });
        assert.deepEqual(res.delivered, { s: 3, f: 1 });
        await until(() => rec.received.length === 1);
        assert.equal(rec.received[0]!.p.ord, res.publication.ord);
        const history = await e.history(ns, ch, { after: 0 });
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
        await e.watchNamespace(ns);
        await e.publish(ns, 'one', { data: 1 }, opts);
        await e.publish(ns, 'two', { data: 2 }, opts);
        await e.publish(fresh('other'), 'one', { data: 3 }, opts);
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
        await e.watchNamespace(ns);
        await e.watch(ns, '*');
        await e.unwatch(ns, '*');
        await e.publish(ns, 'one', { data: 1 }, opts);
        await e.publish(ns, '*', { data: 2 }, opts);
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
        await e.watch(ns, '*');
        await e.publish(other, '*', { data: 0 }, opts);
        await e.publish(ns, '*', { data: 1 }, opts);
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
          await watcher.watch(ns, '*');
          await publisher.publish(ns, 'news', { data: 1 }, opts);
          await publisher.publish(ns, '*', { data: 2 }, opts);
          await until(() => rec.received.some((r) => r.p.channel === '*'));
          assert.deepEqual(
            rec.received.filter((r) => r.ns === ns).map((r) => r.p.channel),
            ['*'],
            'the publication of "news", made first, is not handed over',
          );
        });
      }
    });

    describe('control', () => {
      it('reaches onControl on its own node', async () => {
        const rec = recorder();
        const e = await engine(7, rec);
        const reply = await e.control(7, { type: 'send', client: '1', data: 'x', binary: false });
        assert.deepEqual(reply, { ok: true, result: 'handled send' });
        assert.equal(rec.controls.length, 1);
      });

      it('answers ok:false in bounded time for a node that does not exist', async () => {
        const e = await engine(1);
        const t0 = Date.now();
        const reply = await e.control(1000, { type: 'call', client: '1', fn: 'x', args: [] });
        assert.equal(reply.ok, false);
        assert.ok(Date.now() - t0 < 10_000);
      });

      it('reaches onControl on another node of the cluster', {
        skip: !factory.multiNode && 'single-node engine',
      }, async () => {
        const recB = recorder();
        const a = await engine(11);
        await engine(12, recB);
        const reply = await a.control(12, { type: 'disconnect', client: '5', code: 1000, reason: 'bye' });
        assert.deepEqual(reply, { ok: true, result: 'handled disconnect' });
        assert.equal(recB.controls[0]!.type, 'disconnect');
      });

      it('lists its own node among the nodes once started', async () => {
        const e = await engine(21);
        const nodes = await e.nodes();
        assert.ok(nodes.includes(21), `nodes() answered ${JSON.stringify(nodes)}`);
        assert.equal(nodes.filter((n) => n === 21).length, 1, 'listed once');
      });

      it('lists every started node of the cluster, and hands an inspect message on', {
        skip: !factory.multiNode && 'single-node engine',
      }, async () => {
        const recB = recorder();
        const a = await engine(22);
        await engine(23, recB);
        const nodes = await a.nodes();
        assert.ok(nodes.includes(22) && nodes.includes(23), `nodes() answered ${JSON.stringify(nodes)}`);
        assert.deepEqual(
          nodes,
          [...nodes].sort((x, y) => x - y),
          'ascending',
        );
        const reply = await a.control(23, { type: 'inspect', what: 'stats', namespace: 'ns' });
        assert.deepEqual(reply, { ok: true, result: 'handled inspect' });
        assert.deepEqual(recB.controls[0], { type: 'inspect', what: 'stats', namespace: 'ns' });
      });
    });

    describe('claimOnce', () => {
      it('grants the first claim of a key, refuses the rest until the TTL passes', async () => {
        const e = await engine();
        assert.ok(e.claimOnce, 'engine implements claimOnce');
        const [k1, k2] = [fresh('once'), fresh('once')];
        assert.equal(await e.claimOnce(k1, 300), true);
        assert.equal(await e.claimOnce(k1, 300), false);
        assert.equal(await e.claimOnce(k2, 300), true);
        const racers = await Promise.all(Array.from({ length: 20 }, () => e.claimOnce!(k2, 300)));
        assert.ok(racers.every((r) => r === false));
        await new Promise((r) => setTimeout(r, 400));
        assert.equal(await e.claimOnce(k1, 300), true);
      });

      it('grants a key to exactly one of two nodes claiming it at once', {
        skip: !factory.multiNode && 'single-node engine',
      }, async () => {
        const a = await engine(61);
        const b = await engine(62);
        const k = fresh('once');
        const wins = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claimOnce!(k, 5000)),
        );
        assert.equal(wins.filter(Boolean).length, 1);
      });
    });

    describe('cluster', () => {
      const skip = !factory.multiNode && 'single-node engine';
      it('gives every node the same order under concurrent publishers on two nodes', { skip }, async () => {
        const recA = recorder();
        const recB = recorder();
        const a = await engine(21, recA);
        const b = await engine(22, recB);
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        await a.watch(ns, ch);
        await b.watch(ns, ch);
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            (i % 2 ? a : b).publish(ns, ch, { data: i }, { historySize: 200 }),
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
        const a = await engine(31, recorder({ s: 2, f: 0 }));
        const b = await engine(32, recorder({ s: 3, f: 1 }));
        const [ns, ch] = [fresh('ns'), fresh('ch')];
        await a.watch(ns, ch);
        await b.watch(ns, ch);
        const res = await a.publish(ns, ch, { data: 1 }, { ...opts, count: true });
        assert.deepEqual(res.delivered, { s: 5, f: 1 });
      });
    });

    describe('queues', () => {
      it('hands each item to exactly one consumer, round-robin', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const got: Record<string, number[]> = { a: [], b: [] };
        const detachA = await e.queueConsume(ns, topic, {
          id: 'a',
          deliver: (i) => got.a!.push(i.d as number) > 0,
        });
        const detachB = await e.queueConsume(ns, topic, {
          id: 'b',
          deliver: (i) => got.b!.push(i.d as number) > 0,
        });
        for (let i = 0; i < 100; i++)
          await e.queuePush(ns, topic, item(i, topic), { topicSize: 1000, maxTopics: 10 });
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
        for (let i = 0; i < 3; i++) await e.queuePush(ns, topic, item(i, topic), LIMITS);
        assert.equal(await e.queueHasConsumer(ns, topic), false);
        const got: number[] = [];
        await e.queueConsume(ns, topic, { id: 'c', deliver: (i) => got.push(i.d as number) > 0 });
        assert.equal(await e.queueHasConsumer(ns, topic), true);
        await until(() => got.length === 3);
        assert.deepEqual(got, [0, 1, 2]);
      });

      it('offers an item a consumer could not take to another, and keeps it when none can', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const got: number[] = [];
        await e.queueConsume(ns, topic, { id: 'busy', deliver: () => false });
        await e.queuePush(ns, topic, item(1, topic), LIMITS);
        await new Promise((r) => setTimeout(r, 50));
        const stats = await e.queueStats(ns);
        assert.equal(stats.find((s) => s.topic === topic)?.depth, 1, 'kept while nobody could take it');
        await e.queueConsume(ns, topic, { id: 'free', deliver: (i) => got.push(i.d as number) > 0 });
        await until(() => got.length === 1);
        assert.deepEqual(got, [1]);
      });

      it('drops the oldest item past topicSize and counts it', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        let dropped = 0;
        for (let i = 0; i < 8; i++) dropped += (await e.queuePush(ns, topic, item(i, topic), LIMITS)).dropped;
        assert.equal(dropped, 3);
        const got: number[] = [];
        await e.queueConsume(ns, topic, { id: 'c', deliver: (i) => got.push(i.d as number) > 0 });
        await until(() => got.length === 5);
        assert.deepEqual(got, [3, 4, 5, 6, 7]);
        assert.equal((await e.queueStats(ns)).find((s) => s.topic === topic)?.dropped, 3);
      });

      it('bounds the number of topics per namespace', async () => {
        const e = await engine();
        const ns = fresh('ns');
        let dropped = 0;
        for (let t = 0; t < 5; t++)
          dropped += (await e.queuePush(ns, `t${t}`, item(t, `t${t}`), LIMITS)).dropped;
        const stats = await e.queueStats(ns);
        assert.ok(stats.filter((s) => s.depth > 0).length <= LIMITS.maxTopics);
        assert.equal(dropped, 2);
      });

      it('stops delivering to a detached consumer; its topic keeps the items', async () => {
        const e = await engine();
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const got: number[] = [];
        const detach = await e.queueConsume(ns, topic, {
          id: 'c',
          deliver: (i) => got.push(i.d as number) > 0,
        });
        await detach();
        assert.equal(await e.queueHasConsumer(ns, topic), false);
        await e.queuePush(ns, topic, item(9, topic), LIMITS);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(got, []);
        assert.equal((await e.queueStats(ns)).find((s) => s.topic === topic)?.depth, 1);
      });

      it('keeps topics of different namespaces apart', async () => {
        const e = await engine();
        const [a, b, topic] = [fresh('nsa'), fresh('nsb'), fresh('t')];
        const got: number[] = [];
        await e.queueConsume(a, topic, { id: 'c', deliver: (i) => got.push(i.d as number) > 0 });
        await e.queuePush(b, topic, item(1, topic), LIMITS);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(got, []);
        assert.equal(await e.queueHasConsumer(b, topic), false);
      });

      it('sees a consumer on another node', {
        skip: !factory.multiNode && 'single-node engine',
      }, async () => {
        const a = await engine(41);
        const b = await engine(42);
        const [ns, topic] = [fresh('ns'), fresh('t')];
        const got: number[] = [];
        await b.queueConsume(ns, topic, { id: 'c', deliver: (i) => got.push(i.d as number) > 0 });
        assert.equal(await a.queueHasConsumer(ns, topic), true);
        for (let i = 0; i < 20; i++)
          await a.queuePush(ns, topic, item(i, topic), { topicSize: 100, maxTopics: 10 });
        await until(() => got.length === 20);
        assert.deepEqual(
          got,
          Array.from({ length: 20 }, (_, i) => i),
        );
      });
    });

    // Added with the mesh dialect (issue 4): backends on /ws/v1 come, go, fall behind and fail
    // writes while items flow; none of that may lose or duplicate an item.
    describe('queues: consumers that come, go and fail', () => {
      const BIG = { topicSize: 5000, maxTopics: 10 };
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
        await e.queueConsume(ns, topic, { id: 'steady', deliver: (i) => steady.push(i.d as number) > 0 });
        // Refuses every other item, as a socket momentarily too far behind would.
        await e.queueConsume(ns, topic, {
          id: 'flaky',
          deliver: (i) => ++flakyCalls % 2 === 0 && flaky.push(i.d as number) > 0,
        });
        // Takes items until its socket "closes" a third of the way through, then refuses all.
        await e.queueConsume(ns, topic, {
          id: 'leaving',
          deliver: (i) => leavingOpen && leaving.push(i.d as number) > 0,
        });
        const n = 600;
        for (let i = 0; i < n; i++) {
          if (i === n / 3) leavingOpen = false;
          await e.queuePush(ns, topic, item(i, topic), BIG);
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
        const detach = await e.queueConsume(ns, topic, {
          id: 'first',
          deliver: (i) => first.push(i.d as number) > 0,
        });
        for (let i = 0; i < 100; i++) await e.queuePush(ns, topic, item(i, topic), BIG);
        await until(() => first.length === 100);
        await detach();
        for (let i = 100; i < 300; i++) await e.queuePush(ns, topic, item(i, topic), BIG);
        await e.queueConsume(ns, topic, { id: 'second', deliver: (i) => second.push(i.d as number) > 0 });
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
        const detachA = await e.queueConsume(ns, topic, {
          id: 'a',
          deliver: (i) => {
            if (detached) lateCalls++;
            return a.push(i.d as number) > 0;
          },
        });
        await e.queueConsume(ns, topic, { id: 'b', deliver: (i) => b.push(i.d as number) > 0 });
        const pushes: Promise<unknown>[] = [];
        for (let i = 0; i < 150; i++) pushes.push(e.queuePush(ns, topic, item(i, topic), BIG));
        await until(() => a.length >= 10);
        await detachA();
        detached = true;
        for (let i = 150; i < 300; i++) pushes.push(e.queuePush(ns, topic, item(i, topic), BIG));
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
        const take = (i: QueueItem) => got.push(i.d as number) > 0;
        await n1.queueConsume(ns, topic, { id: 'c1', deliver: take });
        await n2.queueConsume(ns, topic, { id: 'c2', deliver: take });
        await Promise.all(
          range(0, 400).map((i) => (i % 2 ? n1 : n2).queuePush(ns, topic, item(i, topic), BIG)),
        );
        await until(() => got.length >= 400, 10_000);
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(sorted(got), range(0, 400));
      });
    });
  });
}
