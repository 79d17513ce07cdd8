// Rocket (docs/protocol/rocket.md) trigger: items on the vhost's trigger topic, consumed by workers through the
// mesh API (`queue.pop`) and answered with `mesh.send` to the triggering client.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWorker } from '../../examples/rocket-worker.js';
import type { QueueItem } from '../../src/core/types.js';
import { MemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { MemoryQueues } from '../../src/engines/memory/memory-queues.js';
import { RawClient } from '../helpers/ws-client.js';
import {
  APP_KEY,
  closeAll,
  connect,
  connectAs,
  expectErr,
  OTHER_KEY,
  startRocketServer,
  subscribe,
  useRocketServer,
} from './rocket-fixtures.js';

const server = useRocketServer();

/** A raw mesh backend on /ws/v1 consuming `topic`, once the server confirmed the queue.pop. */
async function meshWorker(site: string, key: string, topic: string): Promise<RawClient> {
  const backend = await RawClient.connect(server.wsUrl(`/ws/v1?site=${site}`), {
    headers: { authorization: `Bearer ${key}` },
  });
  backend.send({ m: 'queue.pop', p: { t: [topic] }, i: 1 });
  const reply = await backend.next();
  assert.equal(reply.E, null, JSON.stringify(reply));
  assert.equal(reply.i, 1);
  return backend;
}

/** Wait until the hub no longer sees a consumer (a worker's close is processed asynchronously). */
async function noConsumer(ns: string, topic: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while ((await server.hub.queueHasConsumer(ns, topic)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(await server.hub.queueHasConsumer(ns, topic), false);
}

describe('rocket: trigger', () => {
  it('checks ACCESS_DENIED → INVALID_PAYLOAD → INVALID_EVENT_NAME → ASSIGNATION_FAILED', async () => {
    const c = await connect(server);
    c.send({ trigger: 'hello' });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ trigger: { event: '' } });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ authenticate: { user: 'reader', secret: 'r' } });
    await c.next();
    c.send({ trigger: { event: 'hello' } });
    await expectErr(c, 'ACCESS_DENIED');
    c.send({ authenticate: { user: 'writer', secret: 'w' } });
    await c.next();
    c.send({ trigger: 'hello' });
    await expectErr(c, 'INVALID_PAYLOAD');
    c.send({ trigger: { data: 1 } });
    await expectErr(c, 'INVALID_EVENT_NAME');
    c.send({ trigger: { event: 'hello', data: { x: 1 } } });
    await expectErr(c, 'ASSIGNATION_FAILED');
    await c.close();
  });

  it('puts {event, data, user, client_id} on the trigger topic for a consumer attached to the hub', async () => {
    // A consumer attached directly through the hub, as any dialect's backend connection would be.
    const items: QueueItem[] = [];
    const fake = server.hub.register({
      namespace: 'app',
      dialect: 'test',
      sink: { deliver: () => true, sendRaw: () => true, close: () => undefined },
    });
    await server.hub.queueConsume(fake, ['trigger'], (item) => {
      items.push(item);
      return true;
    });
    const c = await connectAs(server, 'open');
    c.send({ trigger: { event: 'resize', data: { w: 10 } } });
    assert.deepEqual(await c.next(), { triggered: 'resize' });
    c.send({ trigger: { event: 'nodata' } });
    assert.deepEqual(await c.next(), { triggered: 'nodata' });
    assert.equal(items.length, 2);
    const [first, second] = items;
    const clientId = first!.client;
    assert.match(clientId, /^\d+$/);
    assert.deepEqual(first, {
      node: server.hub.nodeId,
      client: clientId,
      topic: 'trigger',
      data: { event: 'resize', data: { w: 10 }, user: 'open', client_id: clientId },
    });
    assert.deepEqual(second!.data, { event: 'nodata', data: null, user: 'open', client_id: clientId });
    // The answer goes to the client by its id.
    const sent = await server.hub.sendTo(clientId, '{"answer":42}', false, 'app');
    assert.ok(sent.ok);
    assert.deepEqual(await c.next(), { answer: 42 });
    await server.hub.unregister(fake);
    c.send({ trigger: { event: 'again' } });
    await expectErr(c, 'ASSIGNATION_FAILED');
    await c.close();
  });

  it('a raw mesh worker pops the trigger and its mesh.send reaches the triggering client', async () => {
    const backend = await meshWorker('app', APP_KEY, 'trigger');
    const c = await connectAs(server, 'writer');
    c.send({ trigger: { event: 'hello', data: { x: 1 } } });
    assert.deepEqual(await c.next(), { triggered: 'hello' });
    const event = await backend.next();
    assert.equal(event.e, 'queue.pop');
    assert.equal(event.p.t, 'trigger');
    const trigger = event.p.d;
    assert.deepEqual(
      { event: trigger.event, data: trigger.data, user: trigger.user },
      { event: 'hello', data: { x: 1 }, user: 'writer' },
    );
    assert.equal(event.p.c, trigger.client_id);
    backend.send({ m: 'mesh.send', p: { c: trigger.client_id, d: '{"welcome":"writer"}' }, i: 2 });
    assert.deepEqual(await c.next(), { welcome: 'writer' });
    const reply = await backend.next();
    assert.deepEqual([reply.E, reply.i], [null, 2]);

    // Once the worker is gone, triggers fail again.
    await backend.close();
    await noConsumer('app', 'trigger');
    c.send({ trigger: { event: 'hello' } });
    await expectErr(c, 'ASSIGNATION_FAILED');
    await c.close();
  });

  it('each trigger goes to exactly one of several workers', async () => {
    const w1 = await meshWorker('app', APP_KEY, 'trigger');
    const w2 = await meshWorker('app', APP_KEY, 'trigger');
    const c = await connectAs(server, 'writer');
    for (let i = 0; i < 4; i++) {
      c.send({ trigger: { event: `job-${i}` } });
      assert.deepEqual(await c.next(), { triggered: `job-${i}` });
    }
    const seen: string[] = [];
    const drain = async (w: RawClient) => {
      while (!(await w.silentFor(150))) seen.push((await w.next()).p.d.event);
    };
    await Promise.all([drain(w1), drain(w2)]);
    assert.deepEqual(seen.sort(), ['job-0', 'job-1', 'job-2', 'job-3']);
    await closeAll(w1, w2, c);
    await noConsumer('app', 'trigger');
  });

  it("uses the vhost's trigger_topic, in its own namespace only", async () => {
    // A worker of `app` on topic `jobs` does not serve vhost /other, whose topic is `jobs`.
    const wrongNs = await meshWorker('app', APP_KEY, 'jobs');
    const c = await connectAs(server, 'stranger', '/other');
    c.send({ trigger: { event: 'work' } });
    await expectErr(c, 'ASSIGNATION_FAILED');
    const worker = await meshWorker('other', OTHER_KEY, 'jobs');
    c.send({ trigger: { event: 'work' } });
    assert.deepEqual(await c.next(), { triggered: 'work' });
    const event = await worker.next();
    assert.equal(event.p.t, 'jobs');
    assert.equal(event.p.d.user, 'stranger');
    assert.ok(await wrongNs.silentFor(100));
    await closeAll(wrongNs, worker, c);
  });

  it('the example worker answers triggers (examples/rocket-worker.ts)', async () => {
    const worker = await runWorker({ url: server.url, key: APP_KEY, site: 'app' });
    const c = await connectAs(server, 'boss');
    c.send({ trigger: { event: 'greet', data: { name: 'Ann' } } });
    assert.deepEqual(await c.next(), { triggered: 'greet' });
    assert.deepEqual(await c.next(), { reply: { event: 'greet', user: 'boss', data: { name: 'Ann' } } });

    const custom = await runWorker({
      url: server.wsUrl(''),
      key: OTHER_KEY,
      site: 'other',
      topic: 'jobs',
      handle: (t) => ({ done: t.event }),
    });
    const o = await connectAs(server, 'stranger', '/other');
    o.send({ trigger: { event: 'build' } });
    assert.deepEqual(await o.next(), { triggered: 'build' });
    assert.deepEqual(await o.next(), { done: 'build' });
    assert.equal(worker.handled, 1);
    assert.equal(custom.handled, 1);
    await worker.close();
    await custom.close();
    await closeAll(c, o);
  });

  it('the example worker reports a wrong API key', async () => {
    await assert.rejects(runWorker({ url: server.url, key: 'wrong', site: 'app' }), /401/);
  });
});

describe('rocket: engine failures', () => {
  it('answers INTERNAL_ERROR when the engine fails, and keeps the connection', async () => {
    class FailingQueues extends MemoryQueues {
      override async hasConsumer(): Promise<boolean> {
        throw new Error('queue store unreachable');
      }
    }
    class FailingEngine extends MemoryEngine {
      override readonly queues: MemoryQueues = new FailingQueues();
    }
    const failing = await startRocketServer({}, { engine: new FailingEngine(1) });
    try {
      const c = await connectAs(failing, 'writer');
      c.send({ trigger: { event: 'hello' } });
      const reply = await expectErr(c, 'INTERNAL_ERROR');
      assert.match(reply.additional_info, /unreachable/);
      await subscribe(c, 'still-works');
      await c.close();
    } finally {
      await failing.close();
    }
  });
});
