/**
 * `switchboard serve --workers N`: N processes on one listening port, each a cluster node on the
 * Redis engine with its own leased node id, restarted when it dies, drained together on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  contiguous,
  deleteRedisPrefix,
  MAIN,
  nodeConfig,
  removeDir,
  SiteSubscriber,
  sitePoster,
  tempDir,
  until,
} from './helpers.js';
import { WorkersProcess } from './workers-process.js';

const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;

interface StatsNode {
  node: number;
  connections: { total: number };
}

/** node id → connections, as `/stats` (answered by whichever worker takes the request) sees it. */
async function connectionsByNode(wp: WorkersProcess): Promise<Map<number, number>> {
  const res = await fetch(`${wp.url}/stats`);
  const body = (await res.json()) as { nodes: StatsNode[] };
  return new Map(body.nodes.map((n) => [n.node, n.connections.total]));
}

/** Wait until `/stats` shows every live worker holding at least one connection. */
async function untilEveryWorkerHolds(wp: WorkersProcess, ids: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const byNode = await connectionsByNode(wp);
    if (ids.every((id) => (byNode.get(id) ?? 0) > 0)) return;
    if (Date.now() > deadline) throw new Error(`not every worker holds a connection: ${[...byNode]}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `count` subscribers to `channel` through the shared port, once the first workers all hold some. */
async function subscribersOnEveryWorker(wp: WorkersProcess, channel: string, count: number) {
  const subs = await Promise.all(Array.from({ length: count }, () => SiteSubscriber.open(wp, channel)));
  await untilEveryWorkerHolds(
    wp,
    wp.started.map((w) => w.nodeId),
  );
  return subs;
}

describe('serve --workers 2 on the Redis engine', () => {
  let dir: string;
  let wp: WorkersProcess;
  before(async () => {
    dir = tempDir();
    wp = await WorkersProcess.start({ prefix, dir, workers: 2 });
  });
  after(async () => {
    await wp?.kill();
    await deleteRedisPrefix(prefix);
    removeDir(dir);
  });

  it('runs two worker processes on one port, each a cluster node with its own leased id', async () => {
    assert.equal(wp.started.length, 2);
    const [a, b] = wp.started;
    assert.notEqual(a!.pid, b!.pid);
    assert.notEqual(a!.nodeId, b!.nodeId, 'each worker leases its own node id');
    assert.ok(![a!.pid, b!.pid].includes(wp.primaryPid), 'the primary serves nothing itself');
    // Any worker answering /stats lists both as the cluster's nodes.
    for (let i = 0; i < 4; i++) {
      const ids = [...(await connectionsByNode(wp)).keys()].sort();
      assert.deepEqual(ids, [a!.nodeId, b!.nodeId].sort());
    }
  });

  it('delivers one publication to subscribers on both workers', async () => {
    const channel = 'both-workers';
    const subs = await subscribersOnEveryWorker(wp, channel, 6);
    const post = await sitePoster(wp);
    assert.equal(await post(channel, { hello: 'everyone' }), 200);
    await until(() => subs.every((s) => s.messages.length === 1), 'the publication on every subscriber');
    for (const s of subs) assert.deepEqual(s.messages[0]!.body, { hello: 'everyone' });
    await Promise.all(subs.map((s) => s.close()));
  });

  it('answers /metrics on the shared port with the series of every worker', async () => {
    const ids = wp.started.map((w) => String(w.nodeId)).sort();
    for (let i = 0; i < 3; i++) {
      const text = await (await fetch(`${wp.url}/metrics`)).text();
      const nodes = [...text.matchAll(/^switchboard_uptime_seconds\{node="(\d+)"\}/gm)].map((m) => m[1]);
      assert.deepEqual(nodes.sort(), ids);
    }
  });

  it('restarts a killed worker, and its clients resume on another with nothing lost', async () => {
    const channel = 'worker-killed';
    const subs = await subscribersOnEveryWorker(wp, channel, 6);
    const post = await sitePoster(wp);
    let stop = false;
    // Two publishers through the shared port: their requests go to both workers in turn.
    const publishers = [0, 1].map(async (n) => {
      let i = 0;
      while (!stop) {
        try {
          await post(channel, { n, i: i++ });
        } catch {
          // a request the killed worker held: published or not, the ord sequence tells
        }
      }
    });
    await until(() => subs.every((s) => s.messages.length >= 50), 'traffic to every subscriber');
    const victim = wp.started[0]!;
    process.kill(victim.pid, 'SIGKILL');
    // Once the replacement listens, the dead worker's sockets have long been closed by the kernel.
    await until(() => wp.started.length === 3, 'the replacement worker', 30_000);
    const cut = subs.filter((s) => s.closeCode !== undefined);
    const kept = subs.filter((s) => s.closeCode === undefined);
    assert.ok(cut.length > 0 && kept.length > 0, `cut ${cut.length}, kept ${kept.length}`);
    for (const s of cut) assert.equal(s.closeCode, 1006, 'cut without a close frame, as a crash does');
    assert.ok(
      wp.log.some((l) => l.msg === 'worker died; restarting it' && l.worker_pid === victim.pid),
      'the primary reports the death',
    );

    const resumed = await Promise.all(cut.map((s) => SiteSubscriber.open(wp, channel, s.lastOrd)));
    const observer = kept[0]!;
    const mark = Math.max(...cut.map((s) => s.lastOrd)) + 50;
    await until(() => observer.lastOrd >= mark, 'more traffic after the kill');
    stop = true;
    await Promise.all(publishers);
    const top = () => observer.lastOrd;
    await until(
      () => [...resumed, ...kept].every((s) => s.lastOrd === top()),
      'every client caught up',
      10_000,
    );
    assert.ok(contiguous(observer.ords), 'the surviving worker delivered every ord');
    for (const s of kept) assert.deepEqual(s.ords, observer.ords);
    cut.forEach((s, i) => {
      const seen = [...s.ords, ...resumed[i]!.ords];
      assert.ok(contiguous(seen), 'no gap and no duplicate across the move');
      const from = observer.ords.indexOf(seen[0]!);
      assert.deepEqual(seen, observer.ords.slice(from), 'exactly what the surviving worker delivered');
    });
    await Promise.all([...resumed, ...kept].map((s) => s.close()));
  });

  it('drains every worker on SIGTERM: clients get 1012 and the primary exits 0', async () => {
    const channel = 'drain';
    const subs = await Promise.all(Array.from({ length: 4 }, () => SiteSubscriber.open(wp, channel)));
    await untilEveryWorkerHolds(wp, [...(await connectionsByNode(wp)).keys()]);
    const code = await wp.stop();
    await Promise.all(subs.map((s) => s.closed));
    assert.deepEqual(
      subs.map((s) => s.closeCode),
      [1012, 1012, 1012, 1012],
    );
    assert.equal(code, 0);
    assert.equal(wp.log.filter((l) => l.msg === 'switchboard stopped').length, 2, 'both workers drained');
  });
});

describe('serve --workers on the memory engine', () => {
  it('refuses to start and says why', () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'memory.yaml');
      const config = { ...nodeConfig({ nodeId: 1, prefix }), engine: { type: 'memory' } };
      writeFileSync(file, JSON.stringify(config));
      const run = spawnSync(process.execPath, [MAIN, 'serve', '--config', file, '--workers', '2'], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, SWITCHBOARD_CONFIG: '' },
      });
      assert.equal(run.status, 2);
      assert.match(
        run.stderr,
        /workers: 2 workers need engine\.type "redis": the memory engine lives inside one process/,
      );
      assert.equal(run.stdout, '', 'nothing started');
    } finally {
      removeDir(dir);
    }
  });
});
