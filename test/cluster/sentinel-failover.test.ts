/**
 * Sentinel failover under publishing: the master is killed with SIGKILL while a node publishes
 * thousands of messages, Sentinel promotes the replica, and the nodes follow it by themselves.
 * A second node is killed at the same moment and restarted at once (start-up retries until the new
 * master is named); its client and
 * one of the surviving node's clients resume with `after`. For every client: no duplicate, no ord
 * going back, and every acknowledged publication it misses is one that Redis' asynchronous
 * replication lost (absent from the promoted master).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeEntry } from '../../src/engines/redis/codec.js';
import {
  redisCall,
  redisServerAvailable,
  type SentinelProcs,
  startSentinelTrio,
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

const skip = !redisServerAvailable() && 'redis-server is not on PATH (needed for a private Sentinel setup)';
const prefix = `sbtest:sentinel:${randomBytes(4).toString('hex')}:`;
const CHANNEL = 'fo';
const BEFORE_KILL = 2000;
const AFTER_SWITCH = 500;

interface Counts {
  received: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  lostIds: number[];
}

function count(messages: { ord: number; body: unknown }[], acked: Set<number>): Counts {
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

describe('Sentinel: kill -9 of the master while publishing', { skip }, () => {
  let trio: SentinelProcs;
  let dir: string;
  const nodes: NodeProcess[] = [];
  let restarting: Promise<NodeProcess> | undefined;
  const engine = () => ({ sentinels: [trio.sentinel.address], name: trio.name });
  before(async () => {
    dir = tempDir();
    trio = await startSentinelTrio(1000);
    nodes.push(
      ...(await Promise.all(
        [121, 122].map((nodeId) => startNode({ nodeId, prefix, dir, engine: engine() })),
      )),
    );
  });
  after(async () => {
    const late = await restarting?.catch(() => undefined);
    await Promise.all([...nodes, ...(late ? [late] : [])].map((n) => n.stop()));
    await trio?.stop();
    removeDir(dir);
  });

  it('follows the promoted master; clients see no duplicate, no ord going back, and miss only what replication lost', async (t) => {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    const stay = await SiteSubscriber.open(a, CHANNEL); // on the surviving node, never reconnects
    const resumeA = await SiteSubscriber.open(a, CHANNEL); // reconnects to the surviving node
    const resumeB = await SiteSubscriber.open(b, CHANNEL); // its node is killed and restarted
    const post = await sitePoster(a);
    const acked = new Set<number>();
    let next = 0;
    let stop = false;
    let failed = 0;
    const publishers = [0, 1].map(async () => {
      while (!stop) {
        const i = next++;
        const status = await post(CHANNEL, { i }).catch(() => 0);
        if (status === 200) acked.add(i);
        else {
          failed++;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    });
    const readyz = async (n: NodeProcess) => (await fetch(`${n.url}/readyz`)).status;

    await until(() => acked.size >= BEFORE_KILL, 'publications before the kill', 60_000);
    const [oldMaster, replica] = trio.servers;
    await Promise.all([oldMaster.kill9(), b.kill9()]);
    const ackedAtKill = acked.size;
    // Restarted during the failover: its start-up retries until Sentinel names the new master.
    restarting = startNode({ nodeId: 122, prefix, dir, engine: engine() });
    await resumeA.close();
    // /readyz: not ready while the master is gone, ready again once the promoted one is checked.
    const seen: number[] = [];
    const deadline = Date.now() + 30_000;
    while (seen.at(-1) !== 200 || !seen.includes(503)) {
      if (Date.now() > deadline) {
        const body = await (await fetch(`${a.url}/readyz`)).text();
        const info = await redisCall(trio.sentinel.port, 'SENTINEL', 'MASTER', trio.name);
        assert.fail(
          `readyz never went 503 then 200: ${seen.join(',')}; ${body}; old master ${oldMaster.port}, replica ${replica.port}; Sentinel: ${JSON.stringify(info)}`,
        );
      }
      const s = await readyz(a);
      if (seen.at(-1) !== s) seen.push(s);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await trio.masterPort(), replica.port, 'Sentinel promoted the replica');
    assert.deepEqual(seen.slice(seen.indexOf(503)), [503, 200], 'no flapping once the switch began');

    const b2 = await restarting;
    const resumedA = await SiteSubscriber.open(a, CHANNEL, resumeA.lastOrd);
    const resumedB = await SiteSubscriber.open(b2, CHANNEL, resumeB.lastOrd);
    const afterSwitch = acked.size;
    await until(() => acked.size >= afterSwitch + AFTER_SWITCH, 'publications after the switch', 60_000);
    stop = true;
    await Promise.all(publishers);

    const top = Number(await redisCall(replica.port, 'GET', `${prefix}ord:4:demo:${CHANNEL}`));
    const clients = {
      stay: [stay.messages],
      resumeA: [resumeA.messages, resumedA.messages],
      resumeB: [resumeB.messages, resumedB.messages],
    };
    for (const parts of Object.values(clients))
      await until(() => parts.at(-1)!.at(-1)?.ord === top, 'every client at the newest ord', 10_000);

    // What the promoted master holds: the history window covers the kill (fewer publications
    // since than the window's 1000).
    const entries = (await redisCall(
      replica.port,
      'LRANGE',
      `${prefix}hist:4:demo:${CHANNEL}`,
      0,
      -1,
    )) as string[];
    const history = entries.map((e) => (decodeEntry(e).data as { i: number }).i);
    const held = new Set(history);
    const oldestHeld = Math.min(...history);
    const replicationLost = [...acked].filter((id) => id > oldestHeld && !held.has(id));
    const report: Record<string, Omit<Counts, 'lostIds'>> = {};
    for (const [name, parts] of Object.entries(clients)) {
      const c = count(parts.flat(), acked);
      const { lostIds, ...figures } = c;
      report[name] = figures;
      assert.equal(c.duplicated, 0, `${name}: no duplicate`);
      assert.equal(c.outOfOrder, 0, `${name}: ords only go up`);
      for (const id of lostIds) {
        assert.ok(id > oldestHeld, `${name}: lost ${id} is inside the checked window`);
        assert.ok(!held.has(id), `${name}: lost ${id} although the promoted master has it`);
      }
    }
    t.diagnostic(
      JSON.stringify({
        acked: acked.size,
        ackedAtKill,
        failed,
        replicationLost: replicationLost.length,
        report,
      }),
    );
    await Promise.all([stay, resumedA, resumedB].map((c) => c.close()));
  });
});
