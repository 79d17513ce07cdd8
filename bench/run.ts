// `npm run bench`: every scenario of scenarios.ts in one run, side by side, then the table.
//
//   node dist/bench/run.js [--subscribers N] [--messages M] [--reps R] [--bytes B]
//        [--rate DELIVERIES_PER_SEC] [--paced-seconds S] [--only ws,site,...] [--quick]
//        [--cpu-prof DIR] [--json FILE] [--publish-window W] [--coalesce-ms C]
//
// --publish-window W: the in-process publishers of the Node servers keep up to W publishes in
// flight during a burst instead of awaiting each one (default 1). Passed to the server children in
// the environment (BENCH_PUBLISH_WINDOW); it matters where a publish is a round trip (Redis).
//
// --coalesce-ms C: the Switchboard servers' `limits.write_coalesce_ms` (default: the config's
// default); 0 turns holding deliveries across turns off. Passed as BENCH_COALESCE_MS.
//
// --cpu-prof DIR starts the Switchboard server children with `node --cpu-prof` writing into DIR
// (a .cpuprofile per child, written when it exits); summarise one with profile-summary.js.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { type BenchOptions, runScenario, type ScenarioResult } from './measure.js';
import { renderTable } from './report.js';
import { SCENARIO_KEYS, SCENARIOS } from './scenarios.js';

const DEFAULTS: BenchOptions = {
  subscribers: 2000,
  messages: 100,
  reps: 3,
  bytes: 100,
  pacedRate: 50_000,
  pacedSeconds: 2,
  stallMs: 10_000,
};

const QUICK: Partial<BenchOptions> = {
  subscribers: 200,
  messages: 100,
  reps: 1,
  pacedRate: 5000,
  pacedSeconds: 1,
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string' },
      messages: { type: 'string' },
      reps: { type: 'string' },
      bytes: { type: 'string' },
      rate: { type: 'string' },
      'paced-seconds': { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      json: { type: 'string' },
      'publish-window': { type: 'string' },
      'coalesce-ms': { type: 'string' },
    },
  });
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
    return n;
  };
  const o: BenchOptions = { ...DEFAULTS, ...(values.quick ? QUICK : {}) };
  o.subscribers = num(values.subscribers, 'subscribers') ?? o.subscribers;
  o.messages = num(values.messages, 'messages') ?? o.messages;
  o.reps = num(values.reps, 'reps') ?? o.reps;
  o.bytes = num(values.bytes, 'bytes') ?? o.bytes;
  o.pacedRate = num(values.rate, 'rate') ?? o.pacedRate;
  o.pacedSeconds = num(values['paced-seconds'], 'paced-seconds') ?? o.pacedSeconds;
  const window = num(values['publish-window'], 'publish-window');
  if (window !== undefined) process.env.BENCH_PUBLISH_WINDOW = String(Math.floor(window));
  const coalesce = values['coalesce-ms'];
  if (coalesce !== undefined) {
    if (!/^\d+$/.test(coalesce)) throw new Error(`--coalesce-ms must be a whole number, got "${coalesce}"`);
    process.env.BENCH_COALESCE_MS = coalesce;
  }
  const only = values.only?.split(',').map((s) => s.trim());
  for (const k of only ?? []) {
    if (!SCENARIO_KEYS.includes(k)) {
      throw new Error(`--only: unknown scenario "${k}" (known: ${SCENARIO_KEYS.join(', ')})`);
    }
  }
  const profDir = values['cpu-prof'];
  const switchboardExecArgv = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];

  const log = (line: string) => console.log(line);
  log(
    `switchboard fan-out bench: ${o.subscribers} subscribers, bursts of ${o.messages} × ${o.bytes} B ` +
      `(${o.reps} measured), latency at ${o.pacedRate} deliveries/s for ${o.pacedSeconds} s; ` +
      `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
  );
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    if (only && !only.includes(scenario.key)) continue;
    results.push(await runScenario(scenario, o, { switchboardExecArgv }, log));
  }
  log('');
  log(renderTable(results));
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ options: o, results }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
