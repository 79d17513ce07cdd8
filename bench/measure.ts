// One scenario, start to finish: connect N subscribers (connections/s, RSS per idle connection),
// warm up, R bursts (server CPU µs per delivery, deliveries/s), one paced phase (latency
// percentiles). Every figure of the server comes from its own process (server-proc.ts).
import { ClientPool, ConnectError } from './load-clients.js';
import type { Running, Scenario, StartOptions } from './scenarios.js';

export interface BenchOptions {
  subscribers: number;
  /** Messages per burst. */
  messages: number;
  /** Bursts measured (the median is reported). */
  reps: number;
  /** Payload size, bytes. */
  bytes: number;
  /** Deliveries per second of the paced phase (messages/s = this / subscribers). */
  pacedRate: number;
  pacedSeconds: number;
  /** No progress for this long ends a phase as incomplete. */
  stallMs: number;
}

export interface BurstFigures {
  cpuMicrosPerDelivery: number;
  deliveriesPerSec: number;
  delivered: number;
  expected: number;
  wireBytesPerDelivery: number;
  /** The load generator's own CPU per delivery: when it nears the wall time, it is the limit. */
  clientCpuMicrosPerDelivery: number;
  /** Wall time of the burst, µs per delivery (1e6 / deliveries per second). */
  wallMicrosPerDelivery: number;
  /** CPU per delivery of the process the server depends on (redis-server), when there is one. */
  sideCpuMicrosPerDelivery?: number;
}

export interface Latency {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  samples: number;
  expected: number;
  /** The server's own write of one message to every subscriber (ms), where it is measured. */
  fanOutP50?: number;
  fanOutP99?: number;
}

export interface ScenarioResult {
  key: string;
  label: string;
  /** Why it did not run (unavailable here) or why it stopped (error). */
  skipped?: string;
  error?: string;
  connectsPerSec?: number;
  rssPerConnection?: number;
  /** The part of it that is V8 heap (Node servers). */
  heapPerConnection?: number;
  bursts: BurstFigures[];
  latency?: Latency;
}

export type Log = (line: string) => void;

/** Upgrade refusals that mean "no such route" (the listener's answers for an unknown path). */
const NOT_SERVED = new Set([400, 401, 404]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function burst(running: Running, pool: ClientPool, o: BenchOptions): Promise<BurstFigures> {
  const expected = o.subscribers * o.messages;
  pool.reset();
  const before = await running.server.stats(false);
  const sideBefore = await running.side?.stats(false);
  const t0 = performance.now();
  const clientCpu = process.cpuUsage();
  const [, done] = await Promise.all([running.burst(o.messages, o.bytes), pool.waitFor(expected, o.stallMs)]);
  // A stalled phase ends stallMs after the last delivery; time it to that delivery instead.
  const end = done.complete ? done.at : done.at - o.stallMs;
  const after = await running.server.stats(false);
  const client = process.cpuUsage(clientCpu);
  const sideAfter = await running.side?.stats(false);
  const delivered = pool.delivered;
  const perDelivery = (micros: number) => micros / Math.max(1, delivered);
  return {
    cpuMicrosPerDelivery: perDelivery(after.cpuMicros - before.cpuMicros),
    deliveriesPerSec: delivered / ((end - t0) / 1000),
    clientCpuMicrosPerDelivery: perDelivery(client.user + client.system),
    wallMicrosPerDelivery: perDelivery((end - t0) * 1000),
    sideCpuMicrosPerDelivery:
      sideBefore && sideAfter ? perDelivery(sideAfter.cpuMicros - sideBefore.cpuMicros) : undefined,
    delivered,
    expected,
    wireBytesPerDelivery: pool.bytes / Math.max(1, delivered),
  };
}

async function paced(running: Running, pool: ClientPool, o: BenchOptions): Promise<Latency> {
  const ratePerSec = o.pacedRate / o.subscribers;
  const count = Math.max(1, Math.round(ratePerSec * o.pacedSeconds));
  const expected = count * o.subscribers;
  pool.reset();
  pool.startSampling(expected);
  const [fanOut] = await Promise.all([
    running.paced(count, ratePerSec, o.bytes),
    pool.waitFor(expected, o.stallMs),
  ]);
  const samples = pool.stopSampling().slice().sort();
  const ms = (q: number) => percentile(samples, q) / 1000;
  const fanOutSorted = fanOut ? Float64Array.from(fanOut).sort() : undefined;
  return {
    fanOutP50: fanOutSorted ? percentile(fanOutSorted, 0.5) : undefined,
    fanOutP99: fanOutSorted ? percentile(fanOutSorted, 0.99) : undefined,
    p50: ms(0.5),
    p99: ms(0.99),
    p999: ms(0.999),
    max: (samples[samples.length - 1] ?? Number.NaN) / 1000,
    samples: samples.length,
    expected,
  };
}

export async function runScenario(
  scenario: Scenario,
  o: BenchOptions,
  start: StartOptions,
  log: Log,
): Promise<ScenarioResult> {
  const result: ScenarioResult = { key: scenario.key, label: scenario.label, bursts: [] };
  const reason = scenario.unavailable();
  if (reason !== undefined) {
    log(`${scenario.key}: skipped: ${reason}`);
    return { ...result, skipped: reason };
  }
  let running: Running | undefined;
  let pool: ClientPool | undefined;
  try {
    running = await scenario.start(start);
    const idle = await running.server.stats(true);
    const t0 = performance.now();
    try {
      pool = await ClientPool.open(running.clients, o.subscribers);
    } catch (err) {
      // The very first client refused as unknown means the route is not there: a dialect not
      // registered in this build. Any other refusal is a failure of the run, reported as such.
      if (err instanceof ConnectError && err.index === 0 && NOT_SERVED.has(err.status ?? 0)) {
        log(`${scenario.key}: skipped: ${err.message}`);
        return { ...result, skipped: `not served by this build (${err.message})` };
      }
      throw err;
    }
    await running.ready(o.subscribers);
    result.connectsPerSec = o.subscribers / ((performance.now() - t0) / 1000);
    await sleep(300);
    const loaded = await running.server.stats(true);
    result.rssPerConnection = (loaded.rss - idle.rss) / o.subscribers;
    if (loaded.heapUsed !== undefined && idle.heapUsed !== undefined) {
      result.heapPerConnection = (loaded.heapUsed - idle.heapUsed) / o.subscribers;
    }
    log(
      `${scenario.key}: ${o.subscribers} subscribed, ${result.connectsPerSec.toFixed(0)} conn/s, ` +
        `${(result.rssPerConnection / 1024).toFixed(1)} KiB RSS/conn` +
        (result.heapPerConnection === undefined
          ? ''
          : ` (of which V8 heap ${(result.heapPerConnection / 1024).toFixed(1)} KiB)`),
    );
    // Warm-up: let the JIT settle before anything is timed.
    await burst(running, pool, { ...o, messages: Math.max(1, Math.ceil(o.messages / 4)) });
    for (let r = 0; r < o.reps; r++) {
      await sleep(200);
      const b = await burst(running, pool, o);
      result.bursts.push(b);
      log(
        `${scenario.key}: burst ${r + 1}/${o.reps}: ${b.delivered}/${b.expected} delivered, ` +
          `${b.cpuMicrosPerDelivery.toFixed(2)} µs CPU/delivery, ${b.deliveriesPerSec.toFixed(0)} deliveries/s ` +
          `(load generator ${b.clientCpuMicrosPerDelivery.toFixed(2)} µs CPU, wall ${b.wallMicrosPerDelivery.toFixed(2)} µs per delivery` +
          `${b.sideCpuMicrosPerDelivery === undefined ? '' : `, redis-server ${b.sideCpuMicrosPerDelivery.toFixed(2)} µs CPU`})`,
      );
    }
    await sleep(200);
    result.latency = await paced(running, pool, o);
    const l = result.latency;
    log(
      `${scenario.key}: paced ${o.pacedRate}/s: p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, ` +
        `p999 ${l.p999.toFixed(2)} ms (${l.samples}/${l.expected} samples)` +
        (l.fanOutP50 === undefined
          ? ''
          : `; server write of one message to all: p50 ${l.fanOutP50.toFixed(2)} ms, p99 ${l.fanOutP99!.toFixed(2)} ms`),
    );
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`${scenario.key}: failed: ${result.error}`);
  } finally {
    pool?.close();
    await running?.close().catch((err: unknown) => log(`${scenario.key}: close failed: ${String(err)}`));
  }
  return result;
}
