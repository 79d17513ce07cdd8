// A hand-drawn SVG line chart for the dashboard: messages in/s and deliveries/s on the left axis,
// connections on the right one, over a fixed window ending now. No library; every label is set
// through textContent.

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 190;
const PAD = { top: 12, right: 44, bottom: 24, left: 44 };

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** An axis top that splits into `ticks` round steps (1, 2, 5 × 10^n), never below one step of 1. */
function niceMax(value, ticks) {
  const raw = Math.max(value / ticks, 1);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  return step * ticks;
}

function compact(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(n * 10) / 10);
}

/**
 * Draw `samples` ({t (ms), inRate, outRate, conns}) into `container`, replacing what was there.
 * `windowMs` is the span of the x axis, ending at `now`; `rates: false` draws connections only.
 * A rate of null (an interval with no valid rate) leaves a gap in its line.
 */
export function drawChart(container, samples, { now = Date.now(), windowMs = 300_000, rates = true } = {}) {
  const width = Math.max(container.clientWidth, 280);
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const ticks = 4;
  const known = samples.flatMap((s) => [s.inRate, s.outRate]).filter((r) => r !== null);
  const rateMax = niceMax(Math.max(0, ...known), ticks);
  const connMax = niceMax(Math.max(0, ...samples.map((s) => s.conns)), ticks);
  const x = (t) => PAD.left + ((t - (now - windowMs)) / windowMs) * plotW;
  const y = (v, max) => PAD.top + plotH - (v / max) * plotH;

  const root = svg('svg', {
    viewBox: `0 0 ${width} ${HEIGHT}`,
    width,
    height: HEIGHT,
    role: 'img',
    class: 'chart-svg',
  });
  root.append(svg('title', {}, 'Messages per second and connections'));

  for (let i = 0; i <= ticks; i++) {
    const yy = PAD.top + (plotH * i) / ticks;
    root.append(svg('line', { x1: PAD.left, x2: PAD.left + plotW, y1: yy, y2: yy, class: 'grid' }));
    const frac = 1 - i / ticks;
    if (rates) {
      const label = compact(rateMax * frac);
      root.append(svg('text', { x: PAD.left - 6, y: yy + 4, class: 'axis in', 'text-anchor': 'end' }, label));
    }
    root.append(
      svg('text', { x: PAD.left + plotW + 6, y: yy + 4, class: 'axis conn' }, compact(connMax * frac)),
    );
  }
  const minutes = Math.round(windowMs / 60_000);
  for (let m = 0; m <= minutes; m++) {
    const xx = x(now - windowMs + m * 60_000);
    const label = m === minutes ? 'now' : `-${minutes - m}m`;
    root.append(svg('text', { x: xx, y: HEIGHT - 6, class: 'axis', 'text-anchor': 'middle' }, label));
  }

  const visible = samples.filter((s) => s.t >= now - windowMs);
  const line = (pick, max, cls) => {
    // Runs of consecutive samples with a value: one polyline each, so a gap stays a gap.
    const runs = [[]];
    for (const s of visible) {
      if (pick(s) !== null) runs[runs.length - 1].push(s);
      else if (runs[runs.length - 1].length > 0) runs.push([]);
    }
    const drawn = runs.filter((run) => run.length > 0);
    for (const run of drawn) {
      const points = run.map((s) => `${x(s.t).toFixed(1)},${y(pick(s), max).toFixed(1)}`).join(' ');
      root.append(svg('polyline', { points, class: `series ${cls}` }));
    }
    const last = drawn.at(-1)?.at(-1);
    if (last)
      root.append(svg('circle', { cx: x(last.t), cy: y(pick(last), max), r: 3, class: `point ${cls}` }));
  };
  line((s) => s.conns, connMax, 'conn');
  if (rates) {
    line((s) => s.outRate, rateMax, 'out');
    line((s) => s.inRate, rateMax, 'in');
  }
  if (visible.length < 2) {
    root.append(
      svg(
        'text',
        { x: PAD.left + plotW / 2, y: PAD.top + plotH / 2, class: 'axis', 'text-anchor': 'middle' },
        'collecting…',
      ),
    );
  }
  container.replaceChildren(root);
}
