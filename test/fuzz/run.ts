// `npm run fuzz`: every dialect's properties with a large budget (default 30,000 cases per dialect,
// 120,000 in all; FUZZ_RUNS_PER_DIALECT and FUZZ_SEED override). Prints one summary line per
// dialect: cases run, crashes (the code under test threw) and violations (it answered, wrongly),
// counted per failing property. Exits 1 on any failure, after fast-check's shrunk counterexample.
import { ALL_PROPERTIES, runsFor } from './all-properties.js';
import { runProperty } from './property.js';

const perDialect = Number(process.env.FUZZ_RUNS_PER_DIALECT ?? 30_000);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

interface Tally {
  cases: number;
  crashes: number;
  violations: number;
  known: number;
  ms: number;
}
const totals = new Map<string, Tally>();
const failures: string[] = [];
const clip = (text: string) =>
  text
    .split('\n')
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}… (${l.length} chars)` : l))
    .join('\n');

for (const p of ALL_PROPERTIES) {
  const started = performance.now();
  const { ran, failure, kind } = runProperty(p, runsFor(p, perDialect), seed);
  const t = totals.get(p.dialect) ?? { cases: 0, crashes: 0, violations: 0, known: 0, ms: 0 };
  t.cases += ran;
  t.ms += performance.now() - started;
  if (failure) {
    if (kind === 'crash') t.crashes++;
    else t.violations++;
    if (p.knownBug) t.known++;
    const known = p.knownBug ? ` (known bug: ${p.knownBug})` : '';
    failures.push(`${p.dialect}: ${p.name}${known}\n${clip(failure)}`);
  }
  totals.set(p.dialect, t);
}

for (const f of failures) console.error(`\nFAILED ${f}\n`);
const line = (name: string, t: Tally, props: number) =>
  `${name.padEnd(7)} ${t.cases.toLocaleString('en-US').padStart(8)} cases, ${props} properties, ` +
  `${t.crashes} crashes, ${t.violations} violations` +
  (t.known > 0 ? ` (${t.known} known bugs)` : '') +
  ` in ${(t.ms / 1000).toFixed(1)} s`;
const sum: Tally = { cases: 0, crashes: 0, violations: 0, known: 0, ms: 0 };
for (const [dialect, t] of totals) {
  for (const k of ['cases', 'crashes', 'violations', 'known', 'ms'] as const) sum[k] += t[k];
  console.log(line(dialect, t, ALL_PROPERTIES.filter((p) => p.dialect === dialect).length));
}
console.log(line('total', sum, ALL_PROPERTIES.length));
process.exit(failures.length > 0 ? 1 : 0);
