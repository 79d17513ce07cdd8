// `npm run fuzz`: every dialect's properties with a large budget (default 30,000 cases per dialect,
// 120,000 in all; FUZZ_RUNS_PER_DIALECT and FUZZ_SEED override). Prints one summary line per
// dialect and exits 1 when any property fails, after printing fast-check's shrunk counterexample.
import { ALL_PROPERTIES, runsFor } from './all-properties.js';
import { runProperty } from './property.js';

const perDialect = Number(process.env.FUZZ_RUNS_PER_DIALECT ?? 30_000);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const totals = new Map<string, { cases: number; crashes: number; ms: number }>();
const failures: string[] = [];
for (const p of ALL_PROPERTIES) {
  const started = performance.now();
  const { ran, failure } = runProperty(p, runsFor(p, perDialect), seed);
  const t = totals.get(p.dialect) ?? { cases: 0, crashes: 0, ms: 0 };
  t.cases += ran;
  t.ms += performance.now() - started;
  if (failure) {
    t.crashes++;
    const known = p.knownBug ? ` (known bug: ${p.knownBug})` : '';
    failures.push(
      `${p.dialect}: ${p.name}${known}\n${failure
        .split('\n')
        .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l))
        .join('\n')}`,
    );
  }
  totals.set(p.dialect, t);
}

for (const f of failures) console.error(`\nFAILED ${f}\n`);
let all = 0;
for (const [dialect, t] of totals) {
  all += t.cases;
  const props = ALL_PROPERTIES.filter((p) => p.dialect === dialect).length;
  console.log(
    `${dialect.padEnd(7)} ${t.cases.toLocaleString('en-US').padStart(8)} cases, ${props} properties, ${t.crashes} crashes (${(t.ms / 1000).toFixed(1)} s)`,
  );
}
console.log(`total   ${all.toLocaleString('en-US').padStart(8)} cases, ${failures.length} crashes`);
process.exit(failures.length > 0 ? 1 : 0);
