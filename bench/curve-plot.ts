// Renders the JSON of curve.ts as one PNG: six small line charts against the number of
// connections. The charts are plain SVG drawn here; Chromium (playwright-core, the same browser
// the browser tests use) only turns the SVG into pixels.
//
//   node dist/bench/curve-plot.js curve.json docs/curve.png
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { CurveResult } from './curve.js';

interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

interface Panel {
  title: string;
  unit: string;
  series: Series[];
}

const W = 380;
const H = 250;
const PAD = { left: 52, right: 12, top: 30, bottom: 40 };

/** A round step for axis ticks: 1, 2 or 5 times a power of ten, about `count` ticks over `max`. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
}

const fmt = (v: number) => (v >= 1000 ? `${v / 1000}k` : Number(v.toPrecision(3)).toString());

function panel(p: Panel, x0: number, y0: number): string {
  const all = p.series.flatMap((s) => s.points);
  const xMax = Math.max(...all.map(([x]) => x));
  const yStep = niceStep(Math.max(...all.map(([, y]) => y)) || 1, 4);
  const yMax = Math.ceil((Math.max(...all.map(([, y]) => y)) || 1) / yStep) * yStep;
  const xStep = niceStep(xMax, 4);
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const sx = (x: number) => x0 + PAD.left + (x / xMax) * iw;
  const sy = (y: number) => y0 + PAD.top + ih - (y / yMax) * ih;
  const out: string[] = [];
  out.push(`<text x="${x0 + PAD.left}" y="${y0 + 18}" class="title">${p.title} (${p.unit})</text>`);
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    out.push(`<line x1="${sx(0)}" x2="${sx(xMax)}" y1="${sy(y)}" y2="${sy(y)}" class="grid"/>`);
    out.push(`<text x="${sx(0) - 6}" y="${sy(y) + 4}" class="tick" text-anchor="end">${fmt(y)}</text>`);
  }
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    out.push(`<text x="${sx(x)}" y="${sy(0) + 16}" class="tick" text-anchor="middle">${fmt(x)}</text>`);
  }
  out.push(
    `<text x="${sx(xMax / 2)}" y="${y0 + H - 6}" class="tick" text-anchor="middle">connections</text>`,
  );
  p.series.forEach((s, i) => {
    const d = s.points
      .map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join('');
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`,
    );
    for (const [x, y] of s.points)
      out.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="2.5" fill="${s.color}"/>`);
    const ly = y0 + PAD.top + 4 + i * 14;
    out.push(
      `<line x1="${sx(0) + 8}" x2="${sx(0) + 24}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`,
    );
    out.push(`<text x="${sx(0) + 28}" y="${ly + 4}" class="legend">${s.name}</text>`);
  });
  return out.join('\n');
}

export function curveSvg(r: CurveResult): string {
  const pts = <T extends { connections: number }>(rows: T[], f: (row: T) => number): [number, number][] =>
    rows.map((row) => [row.connections, f(row)]);
  const kib = (b: number) => b / 1024;
  const sub = r.subscribed;
  const panels: Panel[] = [
    {
      title: 'RSS per connection',
      unit: 'KiB',
      series: [
        {
          name: 'subscribed',
          color: '#c0392b',
          points: pts(r.subscribedMemory, (s) => kib(s.rssPerConnection)),
        },
        { name: 'idle', color: '#2471a3', points: pts(r.idle, (s) => kib(s.rssPerConnection)) },
        {
          name: 'subscribed, V8 heap',
          color: '#c0392b',
          dashed: true,
          points: pts(r.subscribedMemory, (s) => kib(s.heapPerConnection)),
        },
      ],
    },
    {
      title: 'Fan-out CPU per delivery',
      unit: 'µs',
      series: [{ name: 'server CPU', color: '#7d3c98', points: pts(sub, (s) => s.cpuMicrosPerDelivery) }],
    },
    {
      title: 'One publication to all',
      unit: 'ms',
      series: [
        { name: 'last delivery', color: '#c0392b', points: pts(sub, (s) => s.single.lastMs) },
        { name: 'server write', color: '#d68910', points: pts(sub, (s) => s.single.serverWriteMs) },
        {
          name: 'N × write floor',
          color: '#555',
          dashed: true,
          points: pts(sub, (s) => (s.connections * r.writeFloorMicros) / 1000),
        },
      ],
    },
    {
      title: 'Latency',
      unit: 'ms',
      series: [
        { name: 'paced p99', color: '#c0392b', points: pts(sub, (s) => s.pacedP99Ms) },
        { name: 'heartbeat late, traffic', color: '#1e8449', points: pts(sub, (s) => s.heartbeatLateMs) },
        {
          name: 'heartbeat late, idle',
          color: '#1e8449',
          dashed: true,
          // Runs before the heartbeat wheel have no idle figure.
          points: pts(
            sub.filter((s) => s.heartbeatIdleLateMs !== undefined),
            (s) => s.heartbeatIdleLateMs,
          ),
        },
      ],
    },
    {
      title: 'Operator endpoints',
      unit: 'ms',
      series: [
        { name: 'admin connection list', color: '#2471a3', points: pts(sub, (s) => s.adminListMs) },
        { name: '/metrics', color: '#d68910', points: pts(sub, (s) => s.metricsMs) },
        { name: '/healthz', color: '#1e8449', points: pts(sub, (s) => s.healthzMs) },
      ],
    },
    {
      title: 'Connect rate',
      unit: 'connections/s',
      series: [
        { name: 'subscribed', color: '#c0392b', points: pts(r.subscribedMemory, (s) => s.connectsPerSec) },
        { name: 'idle', color: '#2471a3', points: pts(r.idle, (s) => s.connectsPerSec) },
      ],
    },
  ].map((p) => ({ ...p, series: p.series.filter((s) => s.points.length > 0) }));
  const cols = 3;
  const rows = Math.ceil(panels.length / cols);
  const width = cols * W;
  const height = rows * H + 28;
  const body = panels
    .filter((p) => p.series.length > 0)
    .map((p, i) => panel(p, (i % cols) * W, 28 + Math.floor(i / cols) * H))
    .join('\n');
  const c = r.conditions;
  const caption =
    `Switchboard site, one node, memory engine · ${r.date.slice(0, 16).replace('T', ' ')} UTC · ${c.cpus} cores, ` +
    `load ${c.loadavg.join(' ')} · write floor ${r.writeFloorMicros.toFixed(1)} µs/socket · Node ${c.node}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<style>
  text { font-family: sans-serif; fill: #222; }
  .title { font-size: 13px; font-weight: bold; }
  .tick { font-size: 10px; fill: #555; }
  .legend { font-size: 10px; }
  .grid { stroke: #ddd; stroke-width: 1; }
  .caption { font-size: 12px; fill: #444; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="18" class="caption">${caption}</text>
${body}
</svg>`;
}

async function main(): Promise<void> {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) throw new Error('usage: node dist/bench/curve-plot.js CURVE.json OUT.png');
  const svg = curveSvg(JSON.parse(readFileSync(input, 'utf8')) as CurveResult);
  const size = /width="(\d+)" height="(\d+)"/.exec(svg)!;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  try {
    const page = await browser.newPage({ viewport: { width: Number(size[1]), height: Number(size[2]) } });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await page.screenshot({ path: output, fullPage: false });
  } finally {
    await browser.close();
  }
  console.log(`wrote ${output}`);
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) await main();
