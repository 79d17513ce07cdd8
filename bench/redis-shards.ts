// `node dist/bench/redis-shards.js`: the Redis engine's publish path on one standalone Redis and
// on Redis Cluster with 1, 2 and 3 masters (each with a replica), all in one run, side by side.
//
//   node dist/bench/redis-shards.js [--seconds S] [--window W] [--channels C] [--reps R] [--json FILE]
//
// One publisher node (this process, `RedisEngine.publish` with W publications in flight over C
// channels of one namespace, 100-byte JSON) and one watching node (a child process watching every
// channel) per topology. Per run it reads, before and after S seconds: every Redis process's
// `INFO cpu` (used_cpu_user + used_cpu_sys), the publisher's and the watcher's process.cpuUsage()
// and the watcher's delivery count; each master's idle CPU over one quiet second (cluster bus,
// the nodes' health probes) is measured first and subtracted. Reported (median of R runs): publications/s, Redis CPU per
// publication over all masters and on the busiest master, replicas' CPU per publication, the
// publisher's CPU per publication and the watcher's CPU per delivery. On a machine where the shards
// share cores, publications/s is bounded by the one publisher process; the Redis CPU figures do
// not depend on that and are what capacity is extrapolated from (docs/cluster.md).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { EngineHandlers } from '../src/engines/engine.js';
import { RedisEngine, type RedisEngineOptions } from '../src/engines/redis/redis-engine.js';
import {
  freePort,
  RedisProc,
  redisCall,
  serverArgs,
  startRedisCluster,
} from '../test/helpers/redis-procs.js';

const NS = 'bench';
const PREFIX = 'sbbench:';
const PAYLOAD = { text: 'x'.repeat(80), n: 0 };

interface Topology {
  label: string;
  target: Pick<RedisEngineOptions, 'url' | 'cluster'>;
  masters: number[];
  replicas: number[];
  stop(): Promise<void>;
}

interface Run {
  /** Masters' CPU per second with nothing published (cluster bus, probes): subtracted below. */
  idleUsPerSec: number;
  pubsPerSec: number;
  redisUsPerPub: number;
  busiestMasterUsPerPub: number;
  replicaUsPerPub: number;
  publisherUsPerPub: number;
  watcherUsPerDelivery: number;
  deliveredShare: number;
}

const channelNames = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

async function redisCpuUs(port: number): Promise<number> {
  const info = String(await redisCall(port, 'INFO', 'cpu'));
  const get = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (get('used_cpu_user') + get('used_cpu_sys')) * 1e6;
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

// ---- the watching node (child process) ----------------------------------------------------

async function watcher(target: RedisEngineOptions, channels: string[]): Promise<void> {
  let deliveries = 0;
  const handlers: EngineHandlers = {
    onPublication: () => {
      deliveries++;
      return { delivered: 1, failed: 0 };
    },
    onControl: async () => ({ ok: true }),
  };
  const engine = new RedisEngine({ ...target, nodeId: 2 });
  await engine.start(handlers);
  for (const ch of channels) await engine.log.watch(NS, ch);
  process.on('message', (m: string) => {
    if (m === 'read') process.send!({ deliveries, cpuUs: cpuUs() });
    if (m === 'stop') void engine.close().then(() => process.exit(0));
  });
  process.send!('ready');
}

// ---- the publishing side --------------------------------------------------------------------

async function standalone(): Promise<Topology> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-redis-'));
  const port = await freePort();
  const proc = new RedisProc(port, dir, serverArgs(port));
  await proc.start();
  return {
    label: 'standalone Redis',
    target: { url: `redis://127.0.0.1:${port}` },
    masters: [port],
    replicas: [],
    stop: async () => {
      await proc.kill9();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function cluster(masters: number): Promise<Topology> {
  const procs = await startRedisCluster(masters, 5000);
  const m = await procs.masterPorts();
  return {
    label: `Redis Cluster, ${masters} master${masters > 1 ? 's' : ''}`,
    target: { url: 'redis://', cluster: procs.seeds },
    masters: m,
    replicas: procs.nodes.map((n) => n.port).filter((p) => !m.includes(p)),
    stop: () => procs.stop(),
  };
}

async function measure(t: Topology, o: { seconds: number; window: number; channels: number; reps: number }) {
  const names = channelNames(o.channels);
  const target = { ...t.target, prefix: PREFIX };
  const child = fork(fileURLToPath(import.meta.url), ['--watch', JSON.stringify({ target, names })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const nextMessage = <T>() => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
  await nextMessage<string>();
  const engine = new RedisEngine({ ...target, nodeId: 1 });
  await engine.start({
    onPublication: () => ({ delivered: 0, failed: 0 }),
    onControl: async () => ({ ok: true }),
  });
  let i = 0;
  const burst = async (ms: number) => {
    const end = Date.now() + ms;
    let done = 0;
    let errors = 0;
    await Promise.all(
      Array.from({ length: o.window }, async () => {
        while (Date.now() < end) {
          const ch = names[i++ % names.length]!;
          try {
            await engine.log.publish(NS, ch, { data: { ...PAYLOAD, n: i } }, { historySize: 100 });
            done++;
          } catch {
            errors++;
          }
        }
      }),
    );
    if (errors > 0) throw new Error(`${errors} publications failed on ${t.label}`);
    return done;
  };
  const runs: Run[] = [];
  try {
    await burst(500); // warm-up: scripts loaded, connections to every master open
    await new Promise((res) => setTimeout(res, 300));
    const idle0 = await Promise.all(t.masters.map(redisCpuUs));
    const idleStart = performance.now();
    await new Promise((res) => setTimeout(res, 1000));
    const idle1 = await Promise.all(t.masters.map(redisCpuUs));
    const idleUs = idle1.map((v, k) => v - idle0[k]!);
    const idleSeconds = (performance.now() - idleStart) / 1000;
    for (let r = 0; r < o.reps; r++) {
      await new Promise((res) => setTimeout(res, 300)); // the watcher drains the previous burst
      const redis0 = await Promise.all([...t.masters, ...t.replicas].map(redisCpuUs));
      child.send('read');
      const w0 = await nextMessage<{ deliveries: number; cpuUs: number }>();
      const p0 = cpuUs();
      const start = performance.now();
      const pubs = await burst(o.seconds * 1000);
      const elapsed = (performance.now() - start) / 1000;
      const p1 = cpuUs();
      await new Promise((res) => setTimeout(res, 300));
      child.send('read');
      const w1 = await nextMessage<{ deliveries: number; cpuUs: number }>();
      const redis1 = await Promise.all([...t.masters, ...t.replicas].map(redisCpuUs));
      const used = redis1.map((v, k) => v - redis0[k]!);
      // Each master's CPU minus what it burns idle over the same time.
      const masterUse = used
        .slice(0, t.masters.length)
        .map((v, k) => Math.max(0, v - (idleUs[k]! / idleSeconds) * elapsed));
      const replicaUse = used.slice(t.masters.length);
      const deliveries = w1.deliveries - w0.deliveries;
      runs.push({
        idleUsPerSec: idleUs.reduce((a, b) => a + b, 0) / idleSeconds,
        pubsPerSec: pubs / elapsed,
        redisUsPerPub: masterUse.reduce((a, b) => a + b, 0) / pubs,
        busiestMasterUsPerPub: Math.max(...masterUse) / pubs,
        replicaUsPerPub: replicaUse.reduce((a, b) => a + b, 0) / pubs,
        publisherUsPerPub: (p1 - p0) / pubs,
        watcherUsPerDelivery: (w1.cpuUs - w0.cpuUs) / Math.max(1, deliveries),
        deliveredShare: deliveries / pubs,
      });
    }
  } finally {
    await engine.close();
    child.send('stop');
    await new Promise((res) => child.once('exit', res));
  }
  return runs;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '3' },
      window: { type: 'string', default: '64' },
      channels: { type: 'string', default: '256' },
      reps: { type: 'string', default: '3' },
      only: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const o = {
    seconds: Number(values.seconds),
    window: Number(values.window),
    channels: Number(values.channels),
    reps: Number(values.reps),
  };
  const plan: [string, () => Promise<Topology>][] = [
    ['standalone', standalone],
    ['cluster1', () => cluster(1)],
    ['cluster2', () => cluster(2)],
    ['cluster3', () => cluster(3)],
  ];
  const only = values.only?.split(',');
  const results: { label: string; median: Run; runs: Run[] }[] = [];
  const load = [loadavg()[0]!];
  for (const [key, make] of plan) {
    if (only && !only.includes(key)) continue;
    const t = await make();
    try {
      const runs = await measure(t, o);
      const med = Object.fromEntries(
        Object.keys(runs[0]!).map((k) => [k, median(runs.map((r) => r[k as keyof Run]))]),
      ) as unknown as Run;
      results.push({ label: t.label, median: med, runs });
      process.stderr.write(`${t.label}: ${Math.round(med.pubsPerSec)} publications/s\n`);
    } finally {
      await t.stop();
    }
    load.push(loadavg()[0]!);
  }
  const base = results[0]!.median;
  const f = (n: number, d = 1) => n.toFixed(d);
  const lines = [
    `window ${o.window}, ${o.channels} channels, ${o.seconds} s × ${o.reps} runs (medians), load average ${load.map((l) => f(l, 2)).join(' → ')}`,
    '',
    '| topology | publications/s | ratio | Redis CPU µs/publication (masters, idle subtracted) | busiest master | replicas | masters idle µs/s | publisher µs/publication | watcher µs/delivery | delivered |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      ({ label, median: m }) =>
        `| ${label} | ${Math.round(m.pubsPerSec)} | ${f(m.pubsPerSec / base.pubsPerSec, 2)} | ${f(m.redisUsPerPub)} | ${f(m.busiestMasterUsPerPub)} | ${f(m.replicaUsPerPub)} | ${Math.round(m.idleUsPerSec)} | ${f(m.publisherUsPerPub)} | ${f(m.watcherUsPerDelivery)} | ${f(m.deliveredShare * 100, 1)} % |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ options: o, load, results }, null, 2));
}

if (process.argv[2] === '--watch') {
  const { target, names } = JSON.parse(process.argv[3]!) as { target: RedisEngineOptions; names: string[] };
  void watcher(target, names);
} else {
  await main();
}
