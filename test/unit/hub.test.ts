import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConnectionSink } from '../../src/core/connection.js';
import { HubError } from '../../src/core/errors.js';
import { Hub } from '../../src/core/hub.js';
import type { RemoteCall } from '../../src/core/remote-call.js';
import type { Publication } from '../../src/core/types.js';
import type { HistoryQuery } from '../../src/engines/engine.js';
import { MemoryChannelLog } from '../../src/engines/memory/memory-channel-log.js';
import { MemoryEngine } from '../../src/engines/memory/memory-engine.js';

/** A memory channel log whose history reads take a while, as a remote engine's do. */
class SlowHistoryLog extends MemoryChannelLog {
  historyDelayMs = 30;
  override async history(ns: string, ch: string, q: HistoryQuery) {
    await new Promise((r) => setTimeout(r, this.historyDelayMs));
    return super.history(ns, ch, q);
  }
}

class SlowHistoryEngine extends MemoryEngine {
  override readonly log: MemoryChannelLog = new SlowHistoryLog(this.deliver);
}

function collectingSink(): ConnectionSink & {
  got: Publication[];
  raw: (string | Buffer)[];
  closedWith?: number;
} {
  const sink = {
    got: [] as Publication[],
    raw: [] as (string | Buffer)[],
    closedWith: undefined as number | undefined,
    deliver(p: Publication) {
      sink.got.push(p);
      return true;
    },
    sendRaw(d: string | Buffer) {
      sink.raw.push(d);
      return true;
    },
    close(code: number) {
      sink.closedWith = code;
    },
  };
  return sink;
}

const code = (c: string) => (err: unknown) => err instanceof HubError && err.code === c;

async function makeHub(engine = new SlowHistoryEngine(3)) {
  const hub = new Hub(
    engine,
    new Map([['ns', { name: 'ns', historySize: 2000, topicSize: 10, topicBytes: 1 << 20, maxTopics: 5 }]]),
  );
  await hub.start();
  return hub;
}

describe('hub: subscribe merges backlog and live traffic', () => {
  it('delivers every ord once, in order, when 1,000 publications race a resuming subscribe', async () => {
    const hub = await makeHub();
    const first = (await hub.publish('ns', 'ch', { data: 'before' })).publication.ord;
    const sink = collectingSink();
    const conn = hub.register({ namespace: 'ns', dialect: 'test', sink });
    const publishing = Promise.all(
      Array.from({ length: 1000 }, (_, i) => hub.publish('ns', 'ch', { data: i })),
    );
    let readyAt = -1;
    const subscribing = hub.subscribe(conn, 'ch', {
      from: { kind: 'after', ord: first },
      onReady: () => {
        readyAt = sink.got.length;
      },
    });
    await Promise.all([publishing, subscribing]);
    const more = Array.from({ length: 10 }, (_, i) => hub.publish('ns', 'ch', { data: 1000 + i }));
    await Promise.all(more);
    assert.equal(readyAt, 0, 'onReady runs before anything is written');
    const ords = sink.got.map((p) => p.ord);
    assert.equal(ords.length, 1010);
    assert.deepEqual(
      ords,
      ords.map((_, i) => first + 1 + i),
    );
  });

  it('after 0 writes nothing from the buffer, -1 only the newest', async () => {
    const hub = await makeHub();
    for (let i = 0; i < 5; i++) await hub.publish('ns', 'ch', { data: i });
    const zero = collectingSink();
    const minus = collectingSink();
    await hub.subscribe(hub.register({ namespace: 'ns', dialect: 't', sink: zero }), 'ch', {
      from: { kind: 'live' },
    });
    await hub.subscribe(hub.register({ namespace: 'ns', dialect: 't', sink: minus }), 'ch', {
      from: { kind: 'newest' },
    });
    assert.equal(zero.got.length, 0);
    assert.deepEqual(
      minus.got.map((p) => p.data),
      [4],
    );
    await hub.publish('ns', 'ch', { data: 5 });
    assert.deepEqual(
      zero.got.map((p) => p.data),
      [5],
    );
    assert.deepEqual(
      minus.got.map((p) => p.data),
      [4, 5],
    );
  });

  it('refuses a second subscribe to the same channel and an unsubscribe of an unknown one', async () => {
    const hub = await makeHub();
    const conn = hub.register({ namespace: 'ns', dialect: 't', sink: collectingSink() });
    await hub.subscribe(conn, 'ch');
    await assert.rejects(hub.subscribe(conn, 'ch'), { code: 'already_subscribed' });
    assert.equal(await hub.unsubscribe(conn, 'other'), false);
    assert.equal(await hub.unsubscribe(conn, 'ch'), true);
  });

  it('stops delivering after unregister, and an unsubscribed connection gets nothing more', async () => {
    const hub = await makeHub();
    const a = collectingSink();
    const b = collectingSink();
    const ca = hub.register({ namespace: 'ns', dialect: 't', sink: a });
    const cb = hub.register({ namespace: 'ns', dialect: 't', sink: b });
    await hub.subscribe(ca, 'ch');
    await hub.subscribe(cb, 'ch');
    await hub.unsubscribe(ca, 'ch');
    await hub.unregister(cb);
    const res = await hub.publish('ns', 'ch', { data: 1 }, { count: true });
    assert.deepEqual(res.delivered, { delivered: 0, failed: 0 });
    assert.equal(a.got.length + b.got.length, 0);
    assert.equal(hub.connectionCount, 1);
  });

  it('counts failed writes and keeps delivering to the others when a sink throws', async () => {
    const hub = await makeHub();
    const ok = collectingSink();
    const bad: ConnectionSink = {
      deliver: () => {
        throw new Error('boom');
      },
      sendRaw: () => false,
      close: () => undefined,
    };
    await hub.subscribe(hub.register({ namespace: 'ns', dialect: 't', sink: bad }), 'ch');
    await hub.subscribe(hub.register({ namespace: 'ns', dialect: 't', sink: ok }), 'ch');
    const res = await hub.publish('ns', 'ch', { data: 1 }, { count: true });
    assert.deepEqual(res.delivered, { delivered: 1, failed: 1 });
    assert.equal(ok.got.length, 1);
  });

  it('watchAll receives every channel of its namespace once', async () => {
    const hub = await makeHub();
    const sink = collectingSink();
    const conn = hub.register({ namespace: 'ns', dialect: 't', sink });
    await hub.watchAll(conn);
    await hub.subscribe(conn, 'a');
    await hub.publish('ns', 'a', { data: 1 });
    await hub.publish('ns', 'b', { data: 2 });
    assert.deepEqual(
      sink.got.map((p) => p.channel),
      ['a', 'b'],
    );
  });

  it('keeps a pinned namespace watched by the engine while its watching connections come and go', async () => {
    // The engine's watch state is what decides whether a node hears a namespace on a cluster.
    const calls: string[] = [];
    class WatchLogLog extends SlowHistoryLog {
      override async watchNamespace(ns: string) {
        calls.push(`watch ${ns}`);
      }
      override async unwatchNamespace(ns: string) {
        calls.push(`unwatch ${ns}`);
      }
    }
    class WatchLog extends MemoryEngine {
      readonly calls = calls;
      override readonly log: MemoryChannelLog = new WatchLogLog(this.deliver);
    }
    const engine = new WatchLog(3);
    const hub = await makeHub(engine);
    await hub.pinNamespace('ns');
    const conn = hub.register({ namespace: 'ns', dialect: 't', sink: collectingSink() });
    await hub.watchAll(conn);
    await hub.unregister(conn);
    assert.deepEqual(engine.calls, ['watch ns'], 'the last watcher leaving does not end a pinned watch');
    await hub.unpinNamespace('ns');
    assert.deepEqual(engine.calls, ['watch ns', 'unwatch ns']);

    const again = hub.register({ namespace: 'ns', dialect: 't', sink: collectingSink() });
    await hub.watchAll(again);
    await hub.pinNamespace('ns');
    await hub.unpinNamespace('ns');
    assert.equal(engine.calls.at(-1), 'watch ns', 'unpinned while a connection still watches: kept');
    await hub.unregister(again);
    assert.equal(engine.calls.at(-1), 'unwatch ns');
  });

  it('refuses an unknown namespace', async () => {
    const hub = await makeHub();
    assert.throws(() => hub.register({ namespace: 'nope', dialect: 't', sink: collectingSink() }), {
      code: 'unknown_namespace',
    });
    await assert.rejects(hub.publish('nope', 'ch', { data: 1 }), { code: 'unknown_namespace' });
  });
});

describe('hub: routing by client id', () => {
  it('sends raw data and runs calls on a local connection, and reports unknown clients', async () => {
    const hub = await makeHub();
    const sink = collectingSink();
    const conn = hub.register({ namespace: 'ns', dialect: 't', sink });
    assert.deepEqual(await hub.sendTo(conn.id, 'hello', false), { ok: true });
    assert.deepEqual(await hub.sendTo(conn.id, Buffer.from([1, 2]), true), { ok: true });
    assert.deepEqual(sink.raw, ['hello', Buffer.from([1, 2])]);
    assert.deepEqual(await hub.call(conn.id, { fn: 'setContextValue', key: 'user_id', value: 7 }), {
      ok: true,
    });
    assert.deepEqual(conn.context, { user_id: 7 });
    assert.deepEqual(await hub.call(conn.id, { fn: 'setContext', context: { a: 1 } }), { ok: true });
    assert.deepEqual(conn.context, { a: 1 });
    await assert.rejects(hub.call(conn.id, { fn: 'nope' } as unknown as RemoteCall), code('invalid_call'));
    assert.deepEqual(await hub.call(conn.id, { fn: 'subscribe', channels: ['x', 'y'] }), { ok: true });
    assert.deepEqual([...conn.subscriptions.keys()], ['x', 'y']);
    const bad = hub.call(conn.id, { fn: 'subscribe', channels: [3] } as unknown as RemoteCall);
    await assert.rejects(bad, code('invalid_call'));
    await assert.rejects(hub.sendTo(`${BigInt(conn.id) + 1n}`, 'x', false), code('unknown_client'));
    await assert.rejects(hub.sendTo('not-a-number', 'x', false), code('unknown_client'));
    await hub.disconnect(conn.id, 4000, 'bye');
    assert.equal(sink.closedWith, 4000);
  });
});
