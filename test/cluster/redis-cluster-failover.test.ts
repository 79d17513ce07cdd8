/**
 * Redis Cluster under publishing (private 3 masters + 3 replicas, node timeout 1 s): two
 * `switchboard serve` nodes with `engine.cluster`, two publishers posting to one channel, three
 * site clients (one staying connected, one reconnecting to the surviving node with `after`, one
 * resuming on a node that is killed and restarted). First a live reshard moves the channel's slot
 * to another master (SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE: what
 * `redis-cli --cluster reshard` does), then the master now holding it is killed with SIGKILL and
 * its replica takes over. For every client: no duplicate, no ord going back, nothing lost across
 * the reshard, and across the kill nothing lost but what Redis' asynchronous replication lost
 * (absent from the promoted master). /readyz is 503 from the kill until the promoted replica
 * serves the slot, then 200, and nothing is refused after that; a client subscribing during the
 * switch is refused in the dialect's shape or waits, and is subscribed once the slot has a master.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Cluster } from 'ioredis';
import { decodeEntry } from '../../src/engines/redis/codec.js';
import {
  HOST,
  type RedisClusterProcs,
  redisCall,
  redisServerAvailable,
  startRedisCluster,
  waitFor,
} from '../helpers/redis-procs.js';
import {
  type NodeProcess,
  removeDir,
  SiteSubscriber,
  sitePoster,
  startNode,
  tempDir,
  until,
} from './helpers.js';

const skip = !redisServerAvailable() && 'redis-server is not on PATH (needed for a private Redis Cluster)';
const prefix = `sbtest:rc:${randomBytes(4).toString('hex')}:`;
const CHANNEL = 'fo';
const PER_PHASE = 1500;
const AFTER_FAILOVER = 500;
const KEY = (what: string) => `${prefix}{c:4:demo:${CHANNEL}}${what}`;

interface Counts {
  received: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

function count(messages: { ord: number; body: unknown }[], acked: Set<number>) {
  const ids = new Set<number>();
  let duplicated = 0;
  let outOfOrder = 0;
  for (let i = 0; i < messages.length; i++) {
    const id = (messages[i]!.body as { i: number }).i;
    if (ids.has(id)) duplicated++;
    ids.add(id);
    if (i > 0 && messages[i]!.ord <= messages[i - 1]!.ord) outOfOrder++;
  }
  const lostIds = [...acked].filter((id) => !ids.has(id));
  return { received: messages.length, lost: lostIds.length, duplicated, outOfOrder, lostIds };
}

interface ClusterNode {
  id: string;
  port: number;
  master: boolean;
  slots: [number, number][];
}

async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const text = String(await redisCall(port, 'CLUSTER', 'NODES'));
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, addr, flags, , , , , , ...slots] = line.split(' ');
      return {
        id: id!,
        port: Number(addr!.split('@')[0]!.split(':')[1]),
        master: flags!.includes('master') && !flags!.includes('fail'),
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [a, b] = s.split('-').map(Number);
            return [a!, b ?? a!] as [number, number];
          }),
      };
    });
}

const owner = (nodes: ClusterNode[], slot: number) =>
  nodes.find((n) => n.master && n.slots.some(([a, b]) => slot >= a && slot <= b));

/** Move `slot` to another master by hand, exactly as `redis-cli --cluster reshard` does. */
async function moveSlot(anyPort: number, slot: number): Promise<{ from: number; to: number; keys: number }> {
  const nodes = await clusterNodes(anyPort);
  const from = owner(nodes, slot)!;
  const to = nodes.find((n) => n.master && n.id !== from.id)!;
  await redisCall(to.port, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', from.id);
  await redisCall(from.port, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', to.id);
  let moved = 0;
  for (;;) {
    const keys = (await redisCall(from.port, 'CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
    if (keys.length === 0) break;
    await redisCall(from.port, 'MIGRATE', HOST, to.port, '', 0, 5000, 'KEYS', ...keys);
    moved += keys.length;
  }
  for (const n of [to, from, ...nodes.filter((n) => n.master && n !== to && n !== from)])
    await redisCall(n.port, 'CLUSTER', 'SETSLOT', slot, 'NODE', to.id);
  return { from: from.port, to: to.port, keys: moved };
}

describe('Redis Cluster: live reshard and kill -9 of a master under publishing', { skip }, () => {
  let procs: RedisClusterProcs;
  let dir: string;
  const nodes: NodeProcess[] = [];
  let restarting: Promise<NodeProcess> | undefined;
  const engine = () => ({ cluster: procs.seeds });
  // One stream of publications and three clients across both cases (the failover builds on the
  // reshard's state: the channel then lives on the master it was moved to).
  const acked = new Set<number>();
  let next = 0;
  let stopPublishing = false;
  /** Held while the clients resume, so that a slow restart never outruns the history window. */
  let paused: Promise<void> | undefined;
  let failed = 0;
  /** When each refused publish attempt was sent (ms since the epoch). */
  const failedAt: number[] = [];
  let publishers: Promise<void>[] = [];
  /** Clients opened during the failover (subscribed without `after`). */
  const late: SiteSubscriber[] = [];
  let clients: { stay: SiteSubscriber[]; resumeA: SiteSubscriber[]; resumeB: SiteSubscriber[] };

  before(async () => {
    dir = tempDir();
    procs = await startRedisCluster(3, 1000);
    nodes.push(
      ...(await Promise.all(
        [131, 132].map((nodeId) => startNode({ nodeId, prefix, dir, engine: engine() })),
      )),
    );
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    clients = {
      stay: [await SiteSubscriber.open(a, CHANNEL)],
      resumeA: [await SiteSubscriber.open(a, CHANNEL)],
      resumeB: [await SiteSubscriber.open(b, CHANNEL)],
    };
    const post = await sitePoster(a);
    publishers = [0, 1].map(async () => {
      while (!stopPublishing) {
        if (paused) await paused;
        const i = next++;
        const sentAt = Date.now();
        const status = await post(CHANNEL, { i }).catch(() => 0);
        if (status === 200) acked.add(i);
        else {
          failed++;
          failedAt.push(sentAt);
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    });
  });
  // Runs whatever the tests left behind, failed half-way or not; each step is bounded (a node
  // that does not stop is killed) and none keeps the next from running.
  after(async () => {
    stopPublishing = true;
    try {
      await Promise.all(publishers);
      await Promise.all([...Object.values(clients ?? {}).flat(), ...late].map((c) => c.close()));
    } finally {
      const restarted = await restarting?.catch(() => undefined);
      await Promise.allSettled([...nodes, ...(restarted ? [restarted] : [])].map((n) => n.stop()));
      await procs?.stop();
      removeDir(dir);
    }
  });

  const phase = async (what: string, n = PER_PHASE) => {
    const start = acked.size;
    await until(() => acked.size >= start + n, `publications ${what}`, 60_000);
  };

  it('moves the busy channel to another master: nothing lost, duplicated or out of order', async (t) => {
    await phase('before the reshard');
    const slot = Number(await redisCall(procs.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', KEY('ord')));
    const failedBefore = failed;
    const move = await moveSlot(procs.nodes[0]!.port, slot);
    assert.ok(move.keys >= 3, `the channel's keys moved (${move.keys})`);
    await phase('after the reshard');
    const seeds = procs.seeds.map((s) => ({ host: HOST, port: Number(s.split(':')[1]) }));
    const admin = new Cluster(seeds);
    try {
      // Everything acknowledged so far has an ord at or below the top read after it.
      const snapshot = new Set(acked);
      const top = Number(await admin.get(KEY('ord')));
      assert.ok(top > 0);
      const nodesNow = await clusterNodes(move.to);
      assert.equal(owner(nodesNow, slot)?.port, move.to, 'the slot is served by the new master');
      for (const [name, parts] of Object.entries(clients)) {
        await until(() => (parts.at(-1)!.lastOrd ?? 0) >= top, `${name} at ord ${top}`, 10_000);
        const c = count(
          parts.flatMap((p) => p.messages),
          snapshot,
        );
        assert.deepEqual(c.lostIds, [], `${name}: nothing lost across the reshard`);
        assert.equal(c.duplicated, 0, `${name}: no duplicate`);
        assert.equal(c.outOfOrder, 0, `${name}: ords only go up`);
      }
      t.diagnostic(
        JSON.stringify({ slot, ...move, acked: acked.size, refusedDuringMove: failed - failedBefore }),
      );
    } finally {
      admin.disconnect();
    }
  });

  it('follows the promoted replica after kill -9 of the channel master; /readyz tells the truth', async (t) => {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    const any = procs.nodes.find((n) => n.running)!.port;
    const slot = Number(await redisCall(any, 'CLUSTER', 'KEYSLOT', KEY('ord')));
    const before = await clusterNodes(any);
    const victimPort = owner(before, slot)!.port;
    const victim = procs.nodes.find((n) => n.port === victimPort)!;
    const survivor = procs.nodes.find((n) => n.running && n.port !== victimPort)!;
    await phase('before the kill');
    const readyz = async (n: NodeProcess) => (await fetch(`${n.url}/readyz`)).status;
    await waitFor('node a ready before the kill', async () => (await readyz(a)) === 200);
    await Promise.all([victim.kill9(), b.kill9()]);
    const ackedAtKill = acked.size;
    const failedAtKill = failed;
    const killedAt = Date.now();
    restarting = startNode({ nodeId: 132, prefix, dir, engine: engine() });
    await clients.resumeA[0]!.close();
    // Until the replica serves the slot and the node is ready again. A load spike may make a
    // probe time out earlier too, so promotion is read from the cluster, not inferred from /readyz.
    const promotedOwner = async () => {
      const o = owner(await clusterNodes(survivor.port), slot);
      return o && o.port !== victimPort ? o : undefined;
    };
    // A user subscribing during the switch: answered in the site dialect's shape ("Redis is
    // unreachable") while the slot has no master, and subscribed once it has one.
    const attempts: { sentAt: number; outcome: 'ok' | 'refused' | 'other'; detail?: string }[] = [];
    const subscribing = (async () => {
      while (late.length === 0 && Date.now() - killedAt < 30_000) {
        const sentAt = Date.now();
        try {
          late.push(await SiteSubscriber.open(a, CHANNEL));
          attempts.push({ sentAt, outcome: 'ok' });
        } catch (err) {
          const detail = (err as Error).message;
          const shaped = /^subscribe refused: "[^"]*Redis is unreachable/.test(detail);
          attempts.push({ sentAt, outcome: shaped ? 'refused' : 'other', detail });
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
    // Each change of /readyz, with when its answer came.
    const seen: { status: number; at: number }[] = [];
    let promoted: ClusterNode | undefined;
    const deadline = Date.now() + 30_000;
    const statuses = () => seen.map((s) => s.status);
    while (!(promoted && seen.at(-1)?.status === 200 && statuses().includes(503))) {
      if (Date.now() > deadline)
        assert.fail(`readyz never went 503 then 200 after the promotion: ${statuses().join(',')}`);
      const s = await readyz(a);
      if (seen.at(-1)?.status !== s) seen.push({ status: s, at: Date.now() });
      promoted ??= await promotedOwner().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
    }
    const readyAt = seen.at(-1)!.at;
    const switchMs = readyAt - killedAt;
    // Ready until the kill is noticed (a poll may land before it), then 503 without a ready
    // moment until the promoted replica serves the slot and this node listens there, then 200.
    assert.deepEqual(
      statuses().slice(statuses()[0] === 200 ? 1 : 0),
      [503, 200],
      `readyz after the kill: ${JSON.stringify(seen.map((x) => ({ ...x, at: x.at - killedAt })))}`,
    );
    const master = promoted as ClusterNode;
    assert.notEqual(master.port, victimPort);
    await subscribing;
    assert.equal(late.length, 1, `a subscribe during the switch succeeded: ${JSON.stringify(attempts)}`);
    for (const x of attempts) {
      assert.notEqual(x.outcome, 'other', `a subscribe refused in the dialect's shape: ${x.detail}`);
      if (x.sentAt >= readyAt) assert.equal(x.outcome, 'ok', 'no subscribe refused once /readyz said 200');
    }

    let resume: () => void = () => undefined;
    paused = new Promise<void>((r) => {
      resume = r;
    });
    const b2 = await restarting;
    clients.resumeA.push(await SiteSubscriber.open(a, CHANNEL, clients.resumeA[0]!.lastOrd));
    clients.resumeB.push(await SiteSubscriber.open(b2, CHANNEL, clients.resumeB[0]!.lastOrd));
    paused = undefined;
    resume();
    // Fewer than the history window (1000) since the kill, so the promoted master's history
    // shows what replication lost (publishing paused only while the two clients resumed).
    await phase('after the failover', AFTER_FAILOVER);
    stopPublishing = true;
    await Promise.all(publishers);

    const top = Number(await redisCall(master.port, 'GET', KEY('ord')));
    for (const [name, parts] of Object.entries(clients))
      await until(() => parts.at(-1)!.lastOrd === top, `${name} at the newest ord`, 10_000);
    const history = ((await redisCall(master.port, 'LRANGE', KEY('hist'), 0, -1)) as string[]).map(
      (e) => (decodeEntry(e).data as { i: number }).i,
    );
    const held = new Set(history);
    const oldestHeld = Math.min(...history);
    const replicationLost = [...acked].filter((id) => id > oldestHeld && !held.has(id));
    assert.deepEqual(
      failedAt.filter((t) => t >= readyAt),
      [],
      'no publish refused once /readyz said 200 after the switch',
    );
    const report: Record<string, Counts> = {};
    for (const [name, parts] of Object.entries(clients)) {
      const { lostIds, ...figures } = count(
        parts.flatMap((p) => p.messages),
        acked,
      );
      report[name] = figures;
      assert.equal(figures.duplicated, 0, `${name}: no duplicate`);
      assert.equal(figures.outOfOrder, 0, `${name}: ords only go up`);
      for (const id of lostIds) {
        assert.ok(
          id > oldestHeld,
          `${name}: lost ${id} is inside the checked window (oldest held ${oldestHeld}, acked at kill ${ackedAtKill}, acked ${acked.size})`,
        );
        assert.ok(!held.has(id), `${name}: lost ${id} although the promoted master has it`);
      }
    }
    const joined = count(late[0]!.messages, new Set());
    assert.equal(joined.duplicated, 0, 'the client that joined during the switch: no duplicate');
    assert.equal(joined.outOfOrder, 0, 'the client that joined during the switch: ords only go up');
    t.diagnostic(
      JSON.stringify({
        acked: acked.size,
        ackedAtKill,
        refusedDuringSwitch: failed - failedAtKill,
        switchMs,
        readyz: seen.map((x) => ({ ...x, at: x.at - killedAt })),
        subscribeAttempts: attempts.map((x) => ({ outcome: x.outcome, at: x.sentAt - killedAt })),
        refusals: [...new Set(attempts.map((x) => x.detail).filter(Boolean))],
        replicationLost: replicationLost.length,
        report,
      }),
    );
  });
});
