// Publications per Redis core, with and without publish batching, side by side in one run.
//
//   npm run build && node dist/bench/redis-batch.js [--publications 20000] [--reps 3]
//       [--watchers 2] [--batch-max 64] [--json FILE]
//
// One private redis-server (no persistence) on a free loopback port; in this process one
// publishing RedisEngine and `--watchers` engines watching every channel published to (nodes of a
// cluster with subscribers: each gets one pub/sub message per publication). Each scenario runs
// with `publish_batch_max` 1 (every publication one script call, the engine before batching) and
// with `--batch-max`, alternating, `--reps` times; figures are medians. Redis CPU per publication
// is the growth of `used_cpu_sys + used_cpu_user` (INFO cpu) over the run ÷ publications, as
// docs/cluster.md measures it; publications/s per Redis core is 1 s ÷ that.
//
// Scenarios: `window W, K channels`: W publications in flight (many backends posting, a
// `mesh.publish` loop without awaiting), spread round-robin over K channels of one namespace;
// `sequential`: one publication at a time (each awaited), where batching has nothing to join.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { EngineHandlers } from '../src/engines/engine.js';
import { RedisEngine } from '../src/engines/redis/redis-engine.js';
import { findRedisServer, RedisServer } from './server-proc.js';

const { values } = parseArgs({
  options: {
    publications: { type: 'string', default: '20000' },
    reps: { type: 'string', default: '3' },
    watchers: { type: 'string', default: '2' },
    'batch-max': { type: 'string', default: '64' },
    json: { type: 'string' },
  },
});
const PUBLICATIONS = Number(values.publications);
const REPS = Number(values.reps);
const WATCHERS = Number(values.watchers);
const BATCH_MAX = Number(values['batch-max']);

interface Scenario {
  name: string;
  window: number;
  channels: number;
  /** Fewer publications for the round-trip-bound sequential case, so a run stays short. */
  share: number;
}
const SCENARIOS: Scenario[] = [
  { name: 'window 64, 1 channel', window: 64, channels: 1, share: 1 },
  { name: 'window 64, 64 channels', window: 64, channels: 64, share: 1 },
  { name: 'window 16, 16 channels', window: 16, channels: 16, share: 1 },
  { name: 'sequential, 1 channel', window: 1, channels: 1, share: 0.25 },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `INFO commandstats`: per command, its calls and µs so far (commands scripts run included). */
async function commandStats(admin: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const info = await admin.info('commandstats');
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm))
    out.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  return out;
}

/** Redis' own time per command over a run, per publication: where a publication's CPU goes. */
function perPublication(
  before: Map<string, { calls: number; usec: number }>,
  after: Map<string, { calls: number; usec: number }>,
  publications: number,
): Record<string, { calls: number; usec: number }> {
  const out: Record<string, { calls: number; usec: number }> = {};
  for (const [name, a] of after) {
    const b = before.get(name) ?? { calls: 0, usec: 0 };
    if (a.calls === b.calls || name === 'info') continue;
    out[name] = { calls: (a.calls - b.calls) / publications, usec: (a.usec - b.usec) / publications };
  }
  return out;
}

async function redisCpuSeconds(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const read = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return read('used_cpu_sys') + read('used_cpu_user');
}

const quiet: EngineHandlers = {
  onPublication: () => ({ delivered: 1, failed: 0 }),
  onControl: async () => ({ ok: true }),
};

interface Row {
  scenario: string;
  batchMax: number;
  redisUsPerPublication: number;
  publicationsPerSecond: number;
  publicationsPerRedisCoreSecond: number;
  meanBatch: number;
  /** Per publication, each command's calls and µs as Redis counts them (evalsha includes its script's). */
  commands: Record<string, { calls: number; usec: number }>;
}

async function runOnce(url: string, s: Scenario, batchMax: number, rep: number): Promise<Row> {
  const prefix = `bench-batch-${rep}-${batchMax}-${s.channels}-${s.window}`;
  const publisher = new RedisEngine({ url, prefix, nodeId: 1, publishBatchMax: batchMax });
  const watchers = Array.from(
    { length: WATCHERS },
    (_, i) => new RedisEngine({ url, prefix, nodeId: 2 + i }),
  );
  await publisher.start(quiet);
  const channels = Array.from({ length: s.channels }, (_, i) => `ch${i}`);
  let delivered = 0;
  for (const w of watchers) {
    const onPublication = () => {
      delivered++;
      return { delivered: 1, failed: 0 };
    };
    await w.start({ ...quiet, onPublication });
    for (const ch of channels) await w.log.watch('ns', ch);
  }
  const admin = new Redis(url);
  const total = Math.floor(PUBLICATIONS * s.share);
  const payload = { text: 'x'.repeat(80) }; // ~100-byte JSON publications
  const { redisStats } = await import('../src/engines/redis/redis-stats.js');
  const calls0 = redisStats.publishCalls;
  const stats0 = await commandStats(admin);
  const cpu0 = await redisCpuSeconds(admin);
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < total) {
      const i = next++;
      await publisher.log.publish(
        'ns',
        channels[i % channels.length]!,
        { data: payload },
        { historySize: 100 },
      );
    }
  };
  await Promise.all(Array.from({ length: s.window }, lane));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (await redisCpuSeconds(admin)) - cpu0;
  const commands = perPublication(stats0, await commandStats(admin), total);
  const calls = redisStats.publishCalls - calls0;
  // Every watcher gets every publication (checked, so a faster figure never hides a loss).
  const deadline = Date.now() + 30_000;
  while (delivered < total * WATCHERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (delivered !== total * WATCHERS)
    throw new Error(`${s.name}: ${delivered} of ${total * WATCHERS} delivered`);
  await admin.eval(
    "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end",
    0,
    `${prefix}:*`,
  );
  admin.disconnect();
  await Promise.all([publisher, ...watchers].map((e) => e.close()));
  const us = (cpu * 1e6) / total;
  return {
    scenario: s.name,
    batchMax,
    redisUsPerPublication: us,
    publicationsPerSecond: total / seconds,
    publicationsPerRedisCoreSecond: 1e6 / us,
    meanBatch: total / calls,
    commands,
  };
}

async function main(): Promise<void> {
  const found = findRedisServer();
  if (!found.ok) throw new Error(found.reason);
  const redis = await RedisServer.start(found.path);
  const rows: Row[] = [];
  try {
    for (const s of SCENARIOS) {
      const runs: Record<number, Row[]> = { 1: [], [BATCH_MAX]: [] };
      for (let rep = 0; rep < REPS; rep++) {
        for (const max of rep % 2 === 0 ? [1, BATCH_MAX] : [BATCH_MAX, 1]) {
          runs[max]!.push(await runOnce(redis.url, s, max, rep));
        }
      }
      for (const max of [1, BATCH_MAX]) {
        const r = runs[max]!;
        rows.push({
          scenario: s.name,
          batchMax: max,
          redisUsPerPublication: median(r.map((x) => x.redisUsPerPublication)),
          publicationsPerSecond: median(r.map((x) => x.publicationsPerSecond)),
          publicationsPerRedisCoreSecond: median(r.map((x) => x.publicationsPerRedisCoreSecond)),
          meanBatch: median(r.map((x) => x.meanBatch)),
          // The run whose CPU figure is the median's.
          commands: [...r].sort((a, b) => a.redisUsPerPublication - b.redisUsPerPublication)[
            Math.floor(r.length / 2)
          ]!.commands,
        });
      }
    }
  } finally {
    await redis.close();
  }
  const fmt = (n: number, d = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(
    `| scenario | publish_batch_max | Redis CPU µs/publication | publications/s per Redis core | publications/s (one Node process) | mean batch | per core × batching off |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const base = rows.find((x) => x.scenario === r.scenario && x.batchMax === 1)!;
    console.log(
      `| ${r.scenario} | ${r.batchMax} | ${fmt(r.redisUsPerPublication, 2)} | ${fmt(r.publicationsPerRedisCoreSecond)} | ${fmt(r.publicationsPerSecond)} | ${fmt(r.meanBatch, 1)} | ${(r.publicationsPerRedisCoreSecond / base.publicationsPerRedisCoreSecond).toFixed(2)}× |`,
    );
  }
  console.log('\nRedis µs per publication by command (INFO commandstats; evalsha includes its script):');
  for (const r of rows) {
    const parts = Object.entries(r.commands)
      .sort((a, b) => b[1].usec - a[1].usec)
      .map(([name, c]) => `${name} ${c.usec.toFixed(2)} (${c.calls.toFixed(2)} calls)`);
    console.log(`${r.scenario}, batch max ${r.batchMax}: ${parts.join(', ')}`);
  }
  if (values.json)
    writeFileSync(
      values.json,
      JSON.stringify({ watchers: WATCHERS, publications: PUBLICATIONS, rows }, null, 2),
    );
}

await main();
