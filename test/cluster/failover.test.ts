/**
 * A node killed with SIGKILL while publications flow: its clients reconnect to another node,
 * resume with `after` and lose nothing that is still in the history window.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  contiguous,
  deleteRedisPrefix,
  type NodeProcess,
  removeDir,
  SiteSubscriber,
  sitePoster,
  startNode,
  tempDir,
  until,
} from './helpers.js';

const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;

describe('cluster: kill -9 of a node while publishing', () => {
  let dir: string;
  let a: NodeProcess;
  let b: NodeProcess;
  before(async () => {
    dir = tempDir();
    const nodes = await Promise.all([111, 112].map((nodeId) => startNode({ nodeId, prefix, dir })));
    [a, b] = nodes as [NodeProcess, NodeProcess];
  });
  after(async () => {
    await Promise.all([a, b].map((n) => n?.stop()));
    await deleteRedisPrefix(prefix);
    removeDir(dir);
  });

  it('lets the killed node’s subscribers resume on another node without a gap', async () => {
    const channel = 'failover';
    const observer = await SiteSubscriber.open(b, channel); // sees the whole sequence
    const victim = await SiteSubscriber.open(a, channel);
    const [postA, postB] = await Promise.all([sitePoster(a), sitePoster(b)]);
    let stop = false;
    let aDead = false;
    let sent = 0;
    // Publishers on both nodes; the ones on A start failing when it dies.
    const publishers = [postA, postB].map(async (post, n) => {
      while (!stop) {
        if (n === 0 && aDead) break;
        try {
          await post(channel, { n, i: sent++ });
        } catch {
          // the killed node's in-flight request: published or not, the ord sequence tells
        }
      }
    });
    await until(() => victim.messages.length >= 100, 'traffic through A');
    aDead = true;
    await a.kill9();
    await victim.closed;
    const resumed = await SiteSubscriber.open(b, channel, victim.lastOrd);
    const top = () => observer.lastOrd;
    await until(() => top() >= victim.lastOrd + 100, 'more traffic after the kill');
    stop = true;
    await Promise.all(publishers);
    await until(() => resumed.lastOrd === observer.lastOrd, 'the resumed client caught up', 5000);

    const seen = [...victim.ords, ...resumed.ords];
    assert.ok(contiguous(seen), 'no gap and no duplicate across the move');
    const from = observer.ords.indexOf(seen[0]!);
    assert.ok(from >= 0);
    assert.deepEqual(seen, observer.ords.slice(from), 'exactly what the other node saw');
    await Promise.all([observer.close(), resumed.close()]);
  });
});
