// Cluster views (src/core/inspect.ts) without sockets: a hub-like source over a fake engine whose
// nodes answer, fail or stay silent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Connection } from '../../src/core/connection.js';
import type { HubCounters } from '../../src/core/hub.js';
import {
  answerInspect,
  type ConnectionView,
  gatherCluster,
  type InspectSource,
  inspectLocal,
  type NodeStats,
  sumStats,
} from '../../src/core/inspect.js';
import type { ControlMessage, ControlReply, Engine } from '../../src/engines/engine.js';

const sink = { deliver: () => true, sendRaw: () => true, close: () => undefined };

function conn(id: string, namespace: string, dialect: string, channels: string[] = []): Connection {
  const c = new Connection(id, { namespace, dialect, sink, user: 'u', remoteAddress: '10.0.0.1' });
  for (const ch of channels) c.subscriptions.set(ch, { lastOrd: 0, pending: null });
  return c;
}

/** A source for node `nodeId` whose engine reports `nodes` and answers control with `answer`. */
function source(
  nodeId: number,
  connections: Connection[],
  engine: {
    nodes?: () => Promise<number[]>;
    answer?: (node: number, m: ControlMessage) => Promise<ControlReply>;
  } = {},
): InspectSource & { asked: { node: number; m: ControlMessage }[] } {
  const asked: { node: number; m: ControlMessage }[] = [];
  const counters: HubCounters = { publications: 4, deliveries: 3, failedDeliveries: 1, published: 2 };
  const fake = {
    kind: 'fake',
    nodeId,
    ready: () => true,
    registry: { nodes: engine.nodes ?? (async () => [nodeId]) },
    control: {
      request: async (node: number, m: ControlMessage) => {
        asked.push({ node, m });
        return engine.answer ? engine.answer(node, m) : { ok: false as const, error: 'no such node' };
      },
    },
  } as unknown as Engine;
  return {
    nodeId,
    engine: fake,
    counters,
    startedAt: Date.now() - 5000,
    localConnections: () => connections.values(),
    asked,
  };
}

describe('inspect: one node', () => {
  const conns = [
    conn('1', 'demo', 'site', ['a', 'b']),
    conn('2', 'demo', 'mesh'),
    conn('3', 'other', 'site', ['c']),
  ];

  it('answers its figures, per dialect and namespace, and counters', () => {
    const s = inspectLocal(source(4, conns), 'stats') as NodeStats;
    assert.equal(s.node, 4);
    assert.equal(s.engine, 'fake');
    assert.ok(s.uptime >= 4);
    assert.ok(s.memory > 0);
    assert.deepEqual(s.connections, {
      total: 3,
      by_dialect: { site: 2, mesh: 1 },
      by_namespace: { demo: 2, other: 1 },
    });
    assert.equal(s.subscriptions, 3);
    assert.deepEqual(s.messages, { accepted: 2, published: 4, delivered: 3, failed: 1 });
  });

  it('restricts figures and the connection list to a namespace when asked', () => {
    const s = inspectLocal(source(4, conns), 'stats', 'other') as NodeStats;
    assert.equal(s.connections.total, 1);
    assert.deepEqual(s.connections.by_namespace, { other: 1 });
    const list = inspectLocal(source(4, conns), 'connections', 'demo') as ConnectionView[];
    assert.deepEqual(
      list.map((c) => c.id),
      ['1', '2'],
    );
    assert.deepEqual(
      { ...list[0], connected_at: 'x' },
      {
        node: 4,
        id: '1',
        dialect: 'site',
        namespace: 'demo',
        user: 'u',
        context: {},
        subscriptions: ['a', 'b'],
        watching_all: false,
        connected_at: 'x',
        remote_address: '10.0.0.1',
      },
    );
  });

  it('refuses to inspect anything but stats and connections (the wire is not trusted)', () => {
    const reply = answerInspect(source(4, conns), 'secrets');
    assert.deepEqual(reply, { ok: false, error: 'cannot inspect "secrets"', code: 'invalid_call' });
    assert.equal(answerInspect(source(4, conns), 'connections', 'other').ok, true);
  });

  it('asks no other node when the engine lists only this one', async () => {
    const src = source(4, conns);
    const view = await gatherCluster(src, 'stats');
    assert.deepEqual(
      view.answers.map((a) => a.node),
      [4],
    );
    assert.deepEqual(view.missing, []);
    assert.equal(src.asked.length, 0);
  });
});

describe('inspect: a cluster', () => {
  const remote = (node: number): NodeStats => ({
    node,
    engine: 'fake',
    ready: true,
    uptime: 1,
    memory: 100,
    connections: { total: 2, by_dialect: { site: 2 }, by_namespace: { demo: 2 } },
    subscriptions: 5,
    messages: { accepted: 1, published: 1, delivered: 1, failed: 0 },
  });

  it('asks every other node once, keeps answers per node and lists those that did not answer', async () => {
    const src = source(2, [conn('9', 'demo', 'mesh')], {
      nodes: async () => [1, 2, 3, 5],
      answer: async (node) => {
        if (node === 1) return { ok: true, result: remote(1) };
        if (node === 3) return { ok: false, error: 'node 3 did not answer within 2000 ms' };
        throw new Error('bus broken');
      },
    });
    const view = await gatherCluster(src, 'stats', 'demo');
    assert.deepEqual(
      view.answers.map((a) => a.node),
      [1, 2],
    );
    assert.deepEqual(view.missing, [
      { node: 3, error: 'node 3 did not answer within 2000 ms' },
      { node: 5, error: 'Error: bus broken' },
    ]);
    assert.deepEqual(
      src.asked.map((a) => a.node),
      [1, 3, 5],
    );
    assert.deepEqual(src.asked[0]!.m, { type: 'inspect', what: 'stats', namespace: 'demo' });

    const total = sumStats(view.answers.map((a) => a.result));
    assert.equal(total.nodes, 2);
    assert.equal(total.connections.total, 3);
    assert.deepEqual(total.connections.by_dialect, { site: 2, mesh: 1 });
    assert.deepEqual(total.connections.by_namespace, { demo: 3 });
    assert.equal(total.subscriptions, 5);
    assert.deepEqual(total.messages, { accepted: 3, published: 5, delivered: 4, failed: 1 });
  });

  it('answers for this node alone, with the reason, when the engine cannot list the nodes', async () => {
    const src = source(2, [], {
      nodes: async () => {
        throw new Error('node list failed: Redis is unreachable');
      },
    });
    const view = await gatherCluster(src, 'connections');
    assert.deepEqual(view.answers, [{ node: 2, result: [] }]);
    assert.deepEqual(view.missing, []);
    assert.match(view.error ?? '', /Redis is unreachable/);
  });
});
