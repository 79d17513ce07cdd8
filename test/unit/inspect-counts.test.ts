// The per-namespace and per-channel counts behind the admin API's namespace and channel lists
// (src/core/inspect.ts `namespaces` / `channels`), without sockets: one node's answer, and sums.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Connection } from '../../src/core/connection.js';
import {
  answerInspect,
  type ChannelFigures,
  type InspectSource,
  localChannelFigures,
  localNamespaceFigures,
  sumChannels,
  sumNamespaces,
} from '../../src/core/inspect.js';
import type { Engine } from '../../src/engines/engine.js';

const sink = { deliver: () => true, sendRaw: () => true, close: () => undefined };

function conn(id: string, namespace: string, channels: string[] = [], watchingAll = false): Connection {
  const c = new Connection(id, { namespace, dialect: 'site', sink });
  for (const ch of channels) c.subscriptions.set(ch, { lastOrd: 0, pending: null });
  c.watchingAll = watchingAll;
  return c;
}

function source(connections: Connection[]): InspectSource {
  return {
    nodeId: 7,
    engine: { kind: 'fake', ready: () => true } as unknown as Engine,
    counters: { publications: 0, deliveries: 0, failedDeliveries: 0, published: 0 },
    startedAt: Date.now(),
    localConnections: () => connections.values(),
  };
}

describe('inspect: namespace and channel counts', () => {
  const src = source([
    conn('1', 'demo', ['a', 'b']),
    conn('2', 'demo', ['a', '__proto__']),
    conn('3', 'chat', [], true),
    conn('4', 'chat', ['room']),
    conn('5', 'other'),
  ]);

  it('counts one node’s connections and subscriptions per namespace', () => {
    assert.deepEqual(localNamespaceFigures(src), {
      demo: { connections: 2, subscriptions: 4 },
      chat: { connections: 2, subscriptions: 1 },
      other: { connections: 1, subscriptions: 0 },
    });
    assert.deepEqual(localNamespaceFigures(src, 'chat'), { chat: { connections: 2, subscriptions: 1 } });
  });

  it('counts one node’s subscribers per channel, any channel name, watchers apart', () => {
    const demo = localChannelFigures(src, 'demo');
    assert.equal(demo.watchers, 0);
    assert.deepEqual(Object.entries(demo.channels).sort(), [
      ['__proto__', 1],
      ['a', 2],
      ['b', 1],
    ]);
    assert.deepEqual(localChannelFigures(src, 'chat'), { watchers: 1, channels: { room: 1 } });
  });

  it('answers the control message, refusing channels without a namespace', () => {
    assert.deepEqual(answerInspect(src, 'namespaces', 'other'), {
      ok: true,
      result: { other: { connections: 1, subscriptions: 0 } },
    });
    const refused = answerInspect(src, 'channels');
    assert.equal(refused.ok, false);
    assert.equal(answerInspect(src, 'channels', 'chat').ok, true);
    assert.equal(answerInspect(src, 'constructor').ok, false, 'only the kinds it knows');
  });

  it('sums the nodes’ answers, with each node’s share and 0 where a node has none', () => {
    const totals = sumNamespaces(
      [
        { node: 1, result: { demo: { connections: 2, subscriptions: 3 } } },
        {
          node: 2,
          result: { demo: { connections: 1, subscriptions: 1 }, other: { connections: 4, subscriptions: 0 } },
        },
      ],
      ['demo', 'other', 'constructor'],
    );
    assert.deepEqual(totals.get('demo'), {
      connections: 3,
      subscriptions: 4,
      nodes: [
        { node: 1, connections: 2, subscriptions: 3 },
        { node: 2, connections: 1, subscriptions: 1 },
      ],
    });
    assert.equal(totals.get('other')!.connections, 4);
    assert.deepEqual(totals.get('constructor'), {
      connections: 0,
      subscriptions: 0,
      nodes: [
        { node: 1, connections: 0, subscriptions: 0 },
        { node: 2, connections: 0, subscriptions: 0 },
      ],
    });

    const answers: ChannelFigures[] = [
      { watchers: 1, channels: { a: 2 } },
      { watchers: 2, channels: { a: 1, b: 5 } },
    ];
    const sum = sumChannels(answers);
    assert.equal(sum.watchers, 3);
    assert.deepEqual([...sum.channels].sort(), [
      ['a', 3],
      ['b', 5],
    ]);
  });
});
