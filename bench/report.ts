// The side-by-side table: one row per scenario, medians over the measured bursts, ratios to the
// plain `ws` baseline (lower is better for CPU and RSS, higher for deliveries/s).
import { median, type ScenarioResult } from './measure.js';

const fixed = (v: number | undefined, digits: number) =>
  v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
const thousands = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '—' : Math.round(v).toLocaleString('en-US');

export interface Row {
  key: string;
  label: string;
  cpu?: number;
  cpuRuns: number[];
  deliveriesPerSec?: number;
  clientCpu?: number;
  complete: boolean;
  wireBytes?: number;
  rssPerConnection?: number;
  connectsPerSec?: number;
  p50?: number;
  p99?: number;
  p999?: number;
  /** p99 of the server's own write of one paced message to every subscriber (ms). */
  fanOutP99?: number;
  note?: string;
}

export function toRow(r: ScenarioResult): Row {
  const cpuRuns = r.bursts.map((b) => b.cpuMicrosPerDelivery);
  const complete = r.bursts.every((b) => b.delivered === b.expected);
  const lost = r.bursts.reduce((n, b) => n + (b.expected - b.delivered), 0);
  return {
    key: r.key,
    label: r.label,
    cpu: r.bursts.length ? median(cpuRuns) : undefined,
    cpuRuns,
    deliveriesPerSec: r.bursts.length ? median(r.bursts.map((b) => b.deliveriesPerSec)) : undefined,
    clientCpu: r.bursts.length ? median(r.bursts.map((b) => b.clientCpuMicrosPerDelivery)) : undefined,
    complete,
    wireBytes: r.bursts.length ? median(r.bursts.map((b) => b.wireBytesPerDelivery)) : undefined,
    rssPerConnection: r.rssPerConnection,
    connectsPerSec: r.connectsPerSec,
    p50: r.latency?.p50,
    p99: r.latency?.p99,
    p999: r.latency?.p999,
    fanOutP99: r.latency?.fanOutP99,
    note: r.skipped ?? r.error ?? (complete ? sideNote(r) : `${lost} deliveries missing`),
  };
}

function sideNote(r: ScenarioResult): string | undefined {
  const side = r.bursts.map((b) => b.sideCpuMicrosPerDelivery).filter((v) => v !== undefined);
  return side.length ? `+ redis-server ${median(side).toFixed(2)} µs CPU/delivery` : undefined;
}

/** A Markdown table (it reads as plain text on a terminal too). */
export function renderTable(results: ScenarioResult[]): string {
  const rows = results.map(toRow);
  const base = rows.find((r) => r.key === 'ws');
  const ratio = (v: number | undefined, b: number | undefined) =>
    v === undefined || b === undefined || !b ? '—' : `${(v / b).toFixed(2)}×`;
  const header = [
    'scenario',
    'CPU µs/delivery',
    '× ws',
    'deliveries/s',
    'gen µs',
    'p50 ms',
    'p99 ms',
    'p999 ms',
    'srv write p99 ms',
    'RSS/conn KiB',
    'conn/s',
    'wire B',
    'note',
  ];
  const lines = rows.map((r) => [
    r.label,
    fixed(r.cpu, 2),
    ratio(r.cpu, base?.cpu),
    thousands(r.deliveriesPerSec),
    fixed(r.clientCpu, 2),
    fixed(r.p50, 2),
    fixed(r.p99, 2),
    fixed(r.p999, 2),
    fixed(r.fanOutP99, 2),
    r.rssPerConnection === undefined ? '—' : fixed(r.rssPerConnection / 1024, 1),
    thousands(r.connectsPerSec),
    fixed(r.wireBytes, 0),
    r.note ?? '',
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}
