/**
 * A backend that pipelines `mesh.publish` (sends many without waiting for each answer) on the Redis
 * engine: its publications reach Redis together (fewer publish script calls than publications,
 * read from /metrics), the answers come back in request order, every subscriber gets every
 * publication in order, and a request of another kind still waits for the publishes before it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Backend } from '../protocol/mesh-fixtures.js';
import {
  deleteRedisPrefix,
  type NodeProcess,
  removeDir,
  SITE,
  SiteSubscriber,
  startNode,
  tempDir,
  until,
} from './helpers.js';

const prefix = `sbtest:meshpipe:${process.pid}:`;

async function metric(node: NodeProcess, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
}

describe('cluster: pipelined mesh.publish from one backend', () => {
  let dir: string;
  let node: NodeProcess;
  before(async () => {
    dir = tempDir();
    node = await startNode({ nodeId: 141, prefix, dir });
  });
  after(async () => {
    await node?.stop();
    removeDir(dir);
    await deleteRedisPrefix(prefix);
  });

  it('answers in request order, delivers in order, and batches the publications', async () => {
    const sub = await SiteSubscriber.open(node, 'stream');
    const backend = await Backend.connect(node.wsUrl(`/ws/v1?site=${SITE.name}&key=${SITE.apiKey}`));
    const calls0 = await metric(node, 'switchboard_redis_publish_calls_total');
    const N = 500;
    // One WebSocket message each, all written before any answer is read.
    for (let i = 0; i < N; i++)
      backend.sendRaw(JSON.stringify({ m: 'mesh.publish', p: { c: 'stream', d: { i } }, i }));
    // A request of another kind right behind them: answered after every publish before it.
    backend.sendRaw(JSON.stringify({ m: 'mesh.send', p: { c: '1', d: 'x' }, i: 'after' }));
    await backend.replyTo('after');
    assert.deepEqual(
      backend.replies.map((r) => r.i),
      [...Array.from({ length: N }, (_, i) => i), 'after'],
      'answers in request order, the other request last',
    );
    assert.ok(
      backend.replies.slice(0, N).every((r) => r.E === null || r.E === undefined),
      'every publish succeeded',
    );
    await until(() => sub.messages.length === N, `all ${N} at the subscriber`);
    assert.deepEqual(
      sub.messages.map((m) => (m.body as { i: number }).i),
      Array.from({ length: N }, (_, i) => i),
    );
    assert.deepEqual(
      sub.ords,
      Array.from({ length: N }, (_, i) => i + 1),
    );
    const calls = (await metric(node, 'switchboard_redis_publish_calls_total')) - calls0;
    assert.ok(calls < N, `${N} publications in ${calls} publish script calls`);
    await backend.close();
    await sub.close();
  });
});
