// How one node's costs grow with its connections: a Switchboard site server (memory engine, its
// own process) grown step by step from 1,000 connections to the file limit, measured at each step.
//
//   npm run build && node dist/bench/curve.js [--steps 1000,2000,5000,10000,15000,19000]
//        [--ports-per-source 26000] [--publications 20] [--deliveries 200000] [--reps 3]
//        [--rate 50000] [--paced-seconds 2] [--heartbeat-ms 20000] [--json FILE] [--cpu-prof DIR] [--profile DIR]
//        [--passes idle,memory,traffic]
//
// Three passes, each on a fresh server process (memory a pass freed would be reused by the next
// and hide its growth):
// - idle: site clients that connect and say nothing; per step RSS and V8 heap per connection
//   (after a forced gc, against the empty server), connect rate and handshake p99;
// - memory: the same with every client subscribed to one channel, nothing published;
// - traffic: subscribed clients again; per step the same, plus fan-out CPU per
//   delivery (bursts of `--publications` publications, the same at every step, as many per sample
//   as make `--deliveries` deliveries; median of `--reps` samples, the heartbeat left out), one
//   publication at a time (the server's serial write of it to all, and when the first and the
//   last client got it), paced latency, heartbeat lateness (under traffic, and over one interval
//   without), and the response time of /healthz, /metrics and the admin connection list (median
//   of 3 each).
// `--profile DIR` writes a CPU profile of each step's last burst sample and of the top step's
// single publications (only those phases; summarise them with profile-summary.js). `--cpu-prof DIR` profiles the whole server process.
// The write floor (bench/write-floor.ts: one small write to each of 2,000 loopback sockets) is
// measured in the same run, so a step's single-publication time reads against N × floor.
//
// Clients come from this process: from 127.0.0.1 with the kernel's port choice, and past
// `--ports-per-source` connections (default: the ephemeral port range less 2,000) from 127.0.0.2,
// 127.0.0.3, …, since one source address has only that range. The top step defaults to the
// hard RLIMIT_NOFILE less 1,000 descriptors of headroom (this process and the server each hold
// one descriptor per connection; both get their soft limit raised to the hard one with
// `prlimit`). The bench site's tokens live an hour and each subscribe takes one at most a minute
// old, so a slow grow never presents an expired token. Prints one line per figure and writes the JSON that
// curve-plot.ts renders.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type WebSocket from 'ws';
import { BENCH_SITE, type BeatFigures } from './child-protocol.js';
import { ClientPool, type ClientSpec } from './load-clients.js';
import { median, percentile } from './measure.js';
import { siteClients, siteTarget } from './scenario-kit.js';
import { NodeServer } from './server-proc.js';

interface Memory {
  rssPerConnection: number;
  heapPerConnection: number;
  /** V8 heap committed per connection (used or not): RSS less this is native memory. */
  heapCommittedPerConnection: number;
  /** The young generation committed at the step (bytes, not per connection): allocation-driven. */
  newSpaceBytes: number;
}

interface ConnectFigures extends Memory {
  connections: number;
  /** What the server held when measured (a few may have been dropped on a loaded machine). */
  held: number;
  connectsPerSec: number;
  handshakeP99Ms: number;
}

interface SubscribedStep extends ConnectFigures {
  cpuMicrosPerDelivery: number;
  deliveriesPerSec: number;
  /** One publication at a time: the server's write of it to all N, first and last arrival (ms). */
  single: { serverWriteMs: number; firstMs: number; lastMs: number };
  pacedP50Ms: number;
  pacedP99Ms: number;
  /**
   * Worst heartbeat tick of the step's traffic: timer lateness plus the time to ping its sockets,
   * i.e. how late the last of them was pinged (a tick that a publication's write delayed counts).
   */
  heartbeatLateMs: number;
  heartbeatSweepMs: number;
  /** The same over one interval without traffic: the heartbeat's own lateness. */
  heartbeatIdleLateMs: number;
  healthzMs: number;
  metricsMs: number;
  adminListMs: number;
}

export interface CurveResult {
  date: string;
  conditions: { cpus: number; loadavg: number[]; nofile: number; sources: number; node: string };
  writeFloorMicros: number;
  idle: ConnectFigures[];
  /** Subscribed connections before any publication (the memory figures of subscribed ones). */
  subscribedMemory: ConnectFigures[];
  /** The traffic pass: its memory figures include what the bursts of earlier steps left in RSS. */
  subscribed: SubscribedStep[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long a grown step is left alone before its memory is read (`--settle-ms`). */
let settleMs = 300;
const log = (line: string) => console.log(line);

/** The ephemeral port range less 2,000 ports for everything else on the machine. */
function portsPerSource(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return Math.max(1000, high! - low! + 1 - 2000);
  } catch {
    return 10_000;
  }
}

function hardNofile(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim());
  } catch {
    return 20_000;
  }
}

/**
 * The bench site's token lifetime (s). A step of thousands of clients on a loaded machine can take
 * longer than the default 300 s; the subscribe handshake also takes a fresh token every
 * `TOKEN_REFRESH_MS`, so no client ever presents one near its expiry.
 */
const BENCH_TOKEN_TTL_S = 3600;
const TOKEN_REFRESH_MS = 60_000;

/** The site subscribe handshake, its token fetched again once it is `TOKEN_REFRESH_MS` old. */
class FreshSubscribe {
  private spec: Promise<ClientSpec> | undefined;
  private fetchedAt = 0;

  constructor(private readonly port: number) {}

  async handshake(ws: WebSocket, index: number): Promise<void> {
    if (this.spec === undefined || performance.now() - this.fetchedAt > TOKEN_REFRESH_MS) {
      this.fetchedAt = performance.now();
      this.spec = siteClients([this.port]);
    }
    return (await this.spec).handshake!(ws, index);
  }
}

/**
 * Lets `pid` open as many files as the hard RLIMIT_NOFILE allows: the soft limit (often 1,024)
 * is what a process gets, and both the server and this load generator hold one descriptor per
 * connection. Children forked afterwards inherit it.
 */
function raiseNofile(pid: number): void {
  const hard = hardNofile();
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${hard}:${hard}`], { stdio: 'ignore' });
  } catch {
    log(`(prlimit failed: process ${pid} keeps its soft RLIMIT_NOFILE; run under \`ulimit -n ${hard}\`)`);
  }
}

/** The soft RLIMIT_NOFILE of `pid`, from /proc (what the process can really open). */
function softNofile(pid: number): number {
  const m = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/** The write floor of this run: µs per serial `socket.write` to 2,000 loopback sockets. */
function writeFloor(): number {
  const out = execFileSync(
    process.execPath,
    [new URL('./write-floor.js', import.meta.url).pathname, '--sockets', '2000', '--reps', '10'],
    { encoding: 'utf8' },
  );
  const m = /socket\.write\s+([\d.]+) µs\/write wall/.exec(out);
  if (!m) throw new Error(`write-floor printed nothing usable:\n${out}`);
  return Number(m[1]);
}

/** Median wall time (ms) of three GETs of `path`. */
async function timeGet(port: number, path: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function grow(
  server: NodeServer,
  pool: ClientPool,
  target: number,
  subscribed: boolean,
  base: { rss: number; heapUsed: number; heapTotal: number },
): Promise<ConnectFigures> {
  const adding = target - pool.sockets.length;
  const t0 = performance.now();
  await pool.grow(adding);
  const seconds = (performance.now() - t0) / 1000;
  // Subscribed as the server sees it; a client or two may be gone by now (below).
  if (subscribed)
    await server
      .request({ op: 'ready', count: target, target: siteTarget, timeoutMs: 20_000 })
      .catch(() => undefined);
  const handshakes = Float64Array.from(pool.handshakeMs).sort();
  await sleep(settleMs);
  // Figures are divided by the connections the server holds: on an overloaded machine a client
  // that answers a ping too late is dropped by the heartbeat. More than 0.5% gone fails the step.
  const res = await fetch(`http://127.0.0.1:${server.port}/stats?local=1`);
  const held = ((await res.json()) as { connections: { total: number } }).connections.total;
  if (held < target * 0.995) throw new Error(`the server holds ${held} connections, not ${target}`);
  if (held !== target) log(`(${target - held} of ${target} connections dropped by the server meanwhile)`);
  const s = await server.stats(true);
  return {
    connections: target,
    held,
    connectsPerSec: adding / seconds,
    handshakeP99Ms: percentile(handshakes, 0.99),
    rssPerConnection: (s.rss - base.rss) / held,
    heapPerConnection: ((s.heapUsed ?? 0) - base.heapUsed) / held,
    heapCommittedPerConnection: ((s.heapTotal ?? 0) - base.heapTotal) / held,
    newSpaceBytes: s.newSpace ?? 0,
  };
}

const beats = (server: NodeServer) => server.request<BeatFigures>({ op: 'beats' });

/**
 * Server CPU per delivery of one sample, heartbeat left out, and deliveries per second: `bursts`
 * bursts of `messages` publications each (a burst is published in one turn, so each socket gets
 * its `messages` deliveries in one write), one after the other once all is delivered.
 */
async function burst(server: NodeServer, pool: ClientPool, n: number, messages: number, bursts = 1) {
  let cpu = 0;
  let delivered = 0;
  let ms = 0;
  for (let i = 0; i < bursts; i++) {
    pool.reset();
    const b0 = await beats(server);
    const s0 = await server.stats(false);
    const t0 = performance.now();
    const [, done] = await Promise.all([
      server.request({ op: 'burst', count: messages, bytes: 100, target: siteTarget }),
      pool.waitFor(n * messages, 10_000),
    ]);
    const s1 = await server.stats(false);
    const b1 = await beats(server);
    if (!done.complete) throw new Error(`burst: ${pool.delivered} of ${n * messages} delivered`);
    cpu += s1.cpuMicros - s0.cpuMicros - (b1.cpuMicros - b0.cpuMicros);
    delivered += pool.delivered;
    ms += done.at - t0;
  }
  return { cpu: cpu / delivered, perSec: delivered / (ms / 1000) };
}

/** `count` publications at `ratePerSec`, each stamped: per-delivery latency samples (ms). */
async function paced(server: NodeServer, pool: ClientPool, n: number, count: number, ratePerSec: number) {
  pool.reset();
  pool.startSampling(n * count);
  const [reply, done] = await Promise.all([
    server.request<{ fanOutMs: number[] }>({
      op: 'paced',
      count,
      ratePerSec,
      bytes: 100,
      target: siteTarget,
    }),
    pool.waitFor(n * count, 10_000),
  ]);
  const samples = pool.stopSampling().slice();
  if (!done.complete) throw new Error(`paced: ${pool.delivered} of ${n * count} delivered`);
  return { samples, fanOutMs: reply.fanOutMs };
}

async function subscribedStep(
  server: NodeServer,
  pool: ClientPool,
  grown: ConnectFigures,
  o: Options,
): Promise<SubscribedStep> {
  const n = grown.held;
  // The same publications per burst at every step, so every step's figure has the same number of
  // deliveries per socket write; as many bursts per sample as give `--deliveries` at least.
  const messages = o.publications;
  const perSample = Math.max(1, Math.ceil(o.deliveries / (n * messages)));
  await beats(server); // a fresh window for the heartbeat figures
  await burst(server, pool, n, messages); // warm-up
  const bursts = [];
  for (let r = 0; r < o.reps; r++) {
    await sleep(200);
    // The last sample of every step profiled alone (what grows with N, step against step).
    const profiling = o.profile !== undefined && r === o.reps - 1;
    if (profiling) await server.request({ op: 'profileStart' });
    bursts.push(await burst(server, pool, n, messages, perSample));
    if (profiling) {
      const file = join(o.profile!, `curve-bursts-${n}.cpuprofile`);
      await server.request({ op: 'profileStop', file });
      log(`profile of a burst sample at ${n}: ${file}`);
    }
  }
  const profile = o.profile && grown.connections === o.steps.at(-1) ? o.profile : undefined;
  if (profile) await server.request({ op: 'profileStart' });
  // One publication at a time, 500 ms apart: each one's deliveries arrive before the next is
  // sent, so the samples fall into groups of n in arrival order.
  const singles = 5;
  const one = await paced(server, pool, n, singles, 2);
  const firsts: number[] = [];
  const lasts: number[] = [];
  for (let i = 0; i < singles; i++) {
    const group = one.samples.subarray(i * n, (i + 1) * n);
    firsts.push(Math.min(...group) / 1000);
    lasts.push(Math.max(...group) / 1000);
  }
  if (profile) {
    const file = join(profile, `curve-singles-${n}.cpuprofile`);
    await server.request({ op: 'profileStop', file });
    log(`profile of the single publications at ${n}: ${file}`);
    await beats(server); // writing the profile held the server's loop: not the heartbeat's doing
  }
  const ratePerSec = o.rate / n;
  const count = Math.max(3, Math.round(ratePerSec * o.pacedSeconds));
  const p = await paced(server, pool, n, count, ratePerSec);
  const sorted = p.samples.sort();
  const port = server.port;
  const healthzMs = await timeGet(port, '/healthz');
  const metricsMs = await timeGet(port, '/metrics');
  const adminListMs = await timeGet(port, `/admin/api/connections?namespace=${BENCH_SITE.name}`);
  // At least one heartbeat under this step's connections (the step may be shorter).
  const hb = await beats(server);
  const until = performance.now() + o.heartbeatMs + 2000;
  while (hb.beats.length === 0 && performance.now() < until) {
    await sleep(200);
    hb.beats.push(...(await beats(server)).beats);
  }
  // Then one whole interval with no traffic: every socket pinged once, nothing else running, so
  // what is late is the heartbeat's own doing.
  await sleep(o.heartbeatMs + 200);
  const idle = (await beats(server)).beats;
  return {
    ...grown,
    cpuMicrosPerDelivery: median(bursts.map((b) => b.cpu)),
    deliveriesPerSec: median(bursts.map((b) => b.perSec)),
    single: { serverWriteMs: median(one.fanOutMs), firstMs: median(firsts), lastMs: median(lasts) },
    pacedP50Ms: percentile(sorted, 0.5) / 1000,
    pacedP99Ms: percentile(sorted, 0.99) / 1000,
    heartbeatLateMs: Math.max(0, ...hb.beats.map((b) => b.lateMs + b.sweepMs)),
    heartbeatSweepMs: Math.max(0, ...hb.beats.map((b) => b.sweepMs)),
    heartbeatIdleLateMs: Math.max(0, ...idle.map((b) => b.lateMs + b.sweepMs)),
    healthzMs,
    metricsMs,
    adminListMs,
  };
}

interface Options {
  steps: number[];
  /** Connections per loopback source address (the ephemeral port range less a margin). */
  portsPerSource: number;
  deliveries: number;
  /** Publications per burst, the same at every step. */
  publications: number;
  reps: number;
  rate: number;
  pacedSeconds: number;
  heartbeatMs: number;
  cpuProf?: string;
  /** Profile the single publications of the top step into this directory. */
  profile?: string;
}

/**
 * One pass on a fresh server: `idle` and `memory` (subscribed) only grow and measure memory;
 * `traffic` (subscribed) also publishes at every step. Memory is taken from the first two: the
 * buffers a burst grows stay in RSS and would be counted against the connections of later steps.
 */
async function pass(
  mode: 'idle' | 'memory' | 'traffic',
  o: Options,
): Promise<(ConnectFigures | SubscribedStep)[]> {
  const subscribed = mode !== 'idle';
  const execArgv = o.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProf] : [];
  const server = await NodeServer.start('switchboard', execArgv, [
    JSON.stringify({ heartbeatMs: o.heartbeatMs, tokenTtl: BENCH_TOKEN_TTL_S }),
  ]);
  raiseNofile(server.pid);
  const out: (ConnectFigures | SubscribedStep)[] = [];
  let pool: ClientPool | undefined;
  try {
    await sleep(300);
    const base = await server.stats(true);
    log(
      `${mode}: empty server RSS ${(base.rss / 2 ** 20).toFixed(1)} MiB, V8 heap ${((base.heapUsed ?? 0) / 2 ** 20).toFixed(1)} MiB ` +
        `used, ${((base.heapTotal ?? 0) / 2 ** 20).toFixed(1)} committed, young generation ${((base.newSpace ?? 0) / 2 ** 20).toFixed(1)} MiB`,
    );
    const url = () => `ws://127.0.0.1:${server.port}/ws?site=${BENCH_SITE.name}`;
    const tokens = new FreshSubscribe(server.port);
    const clients: ClientSpec = {
      url,
      // The kernel's own choice (connect() picks a port free for this destination) until that
      // range runs short; then 127.0.0.2, … An explicit source address costs a bind() per
      // connection whose port search grows with the ports in use: measured, it cut the connect
      // rate from ~450/s to ~22/s between 10,000 and 19,000 connections.
      localAddress: (i) =>
        i < o.portsPerSource ? undefined : `127.0.0.${2 + Math.floor(i / o.portsPerSource) - 1}`,
      handshake: subscribed ? (ws, i) => tokens.handshake(ws, i) : undefined,
    };
    pool = await ClientPool.open(clients, 0);
    for (const target of o.steps) {
      const grown = await grow(server, pool, target, subscribed, {
        rss: base.rss,
        heapUsed: base.heapUsed ?? 0,
        heapTotal: base.heapTotal ?? 0,
      });
      const line =
        `${mode} ${target}: ${grown.connectsPerSec.toFixed(0)} conn/s, ` +
        `handshake p99 ${grown.handshakeP99Ms.toFixed(1)} ms, RSS ${(grown.rssPerConnection / 1024).toFixed(2)} KiB/conn ` +
        `(V8 heap ${(grown.heapPerConnection / 1024).toFixed(2)} KiB used, ` +
        `${(grown.heapCommittedPerConnection / 1024).toFixed(2)} committed; young generation ${(grown.newSpaceBytes / 2 ** 20).toFixed(1)} MiB)`;
      if (mode !== 'traffic') {
        log(line);
        out.push(grown);
        continue;
      }
      const step = await subscribedStep(server, pool, grown, o);
      log(
        `${line}; ${step.cpuMicrosPerDelivery.toFixed(2)} µs CPU/delivery, ${step.deliveriesPerSec.toFixed(0)} deliveries/s; ` +
          `one publication: server write ${step.single.serverWriteMs.toFixed(1)} ms, first ${step.single.firstMs.toFixed(1)} ms, ` +
          `last ${step.single.lastMs.toFixed(1)} ms; paced p99 ${step.pacedP99Ms.toFixed(1)} ms; heartbeat late ` +
          `${step.heartbeatLateMs.toFixed(1)} ms (sweep ${step.heartbeatSweepMs.toFixed(1)}; idle ${step.heartbeatIdleLateMs.toFixed(1)}); /healthz ${step.healthzMs.toFixed(1)} ms, ` +
          `/metrics ${step.metricsMs.toFixed(1)} ms, admin list ${step.adminListMs.toFixed(1)} ms`,
      );
      out.push(step);
    }
  } finally {
    pool?.close();
    await server.close();
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string' },
      'ports-per-source': { type: 'string', default: String(portsPerSource()) },
      deliveries: { type: 'string', default: '200000' },
      publications: { type: 'string', default: '20' },
      reps: { type: 'string', default: '3' },
      rate: { type: 'string', default: '50000' },
      'paced-seconds': { type: 'string', default: '2' },
      'heartbeat-ms': { type: 'string', default: '20000' },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
      profile: { type: 'string' },
      passes: { type: 'string' },
      'settle-ms': { type: 'string', default: '300' },
    },
  });
  settleMs = Number(values['settle-ms']);
  const nofile = hardNofile();
  raiseNofile(process.pid);
  const top = Math.min(nofile, softNofile(process.pid)) - 1000;
  const steps = (values.steps ?? `1000,2000,5000,10000,15000,${top}`)
    .split(',')
    .map(Number)
    .filter((n) => n > 0 && n <= top)
    .sort((a, b) => a - b);
  const o: Options = {
    steps,
    portsPerSource: Number(values['ports-per-source']),
    deliveries: Number(values.deliveries),
    publications: Number(values.publications),
    reps: Number(values.reps),
    rate: Number(values.rate),
    pacedSeconds: Number(values['paced-seconds']),
    heartbeatMs: Number(values['heartbeat-ms']),
    cpuProf: values['cpu-prof'],
    profile: values.profile,
  };
  const result: CurveResult = {
    date: new Date().toISOString(),
    conditions: {
      cpus: cpus().length,
      loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
      nofile,
      sources: Math.ceil(steps.at(-1)! / o.portsPerSource),
      node: process.version,
    },
    writeFloorMicros: writeFloor(),
    idle: [],
    subscribedMemory: [],
    subscribed: [],
  };
  log(
    `steps ${steps.join(', ')}; write floor ${result.writeFloorMicros.toFixed(2)} µs/socket; load ${result.conditions.loadavg.join(' ')}`,
  );
  const passes = (values.passes ?? 'idle,memory,traffic').split(',');
  // Written after every pass, so that a run cut short keeps what it measured.
  const save = () => values.json && writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  if (passes.includes('idle')) result.idle = (await pass('idle', o)) as ConnectFigures[];
  save();
  if (passes.includes('memory')) result.subscribedMemory = (await pass('memory', o)) as ConnectFigures[];
  save();
  if (passes.includes('traffic')) result.subscribed = (await pass('traffic', o)) as SubscribedStep[];
  save();
  const topStep = result.subscribed.at(-1);
  if (topStep) {
    const floorMs = (topStep.connections * result.writeFloorMicros) / 1000;
    log(
      `top step ${topStep.connections}: last delivery ${topStep.single.lastMs.toFixed(1)} ms = ` +
        `${(topStep.single.lastMs / floorMs).toFixed(2)}× N × write floor (${floorMs.toFixed(1)} ms); ` +
        `server write ${(topStep.single.serverWriteMs / floorMs).toFixed(2)}×`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
