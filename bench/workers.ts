// `switchboard serve --workers W` measured as an operator runs it: the real command on a private
// redis-server, site subscribers on its one port, publications posted over HTTP (`POST /post`)
// as a backend would. For each W and each subscriber count, side by side in one run:
// deliveries/s of bursts (median of the reps), paced p99, and the CPU of every process involved
// (the workers, the primary that accepts and hands connections over, redis-server, and this
// load generator, which shares the machine's cores with them).
//
//   npm run build && node dist/bench/workers.js [--workers 1,2] [--subscribers 2000,10000]
//        [--deliveries 200000] [--reps 3] [--rate 20000] [--paced-seconds 2] [--json FILE]
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_SITE } from './child-protocol.js';
import { ClientPool } from './load-clients.js';
import { median, percentile } from './measure.js';
import { makePayload, nowMicros } from './payload.js';
import { siteClients } from './scenario-kit.js';
import { findRedisServer, procStats, RedisServer } from './server-proc.js';

const MAIN = new URL('../src/cli/main.js', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Served {
  port: number;
  primary: number;
  workers: number[];
  stop(): Promise<void>;
}

async function serve(workers: number, redisUrl: string, dir: string): Promise<Served> {
  const file = join(dir, `workers-${workers}.yaml`);
  const config = {
    listen: { host: '127.0.0.1', port: 0 },
    engine: { type: 'redis', url: redisUrl, prefix: 'benchw' },
    workers,
    log: { level: 'info' },
    limits: {
      max_outbound_bytes: 256 * 1024 * 1024,
      max_connections: 1_000_000,
      max_connections_per_ip: 1_000_000,
    },
    namespaces: {
      // An hour: subscribing 10,000 clients on a loaded machine can outlast the default 300 s.
      [BENCH_SITE.name]: {
        secret: BENCH_SITE.secret,
        post_secret: BENCH_SITE.postSecret,
        history_size: 100,
        token_ttl: 3600,
      },
    },
  };
  writeFileSync(file, JSON.stringify(config));
  const child: ChildProcess = spawn(process.execPath, [MAIN, 'serve', '--config', file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SWITCHBOARD_CONFIG: '' },
  });
  const pids: number[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const e = JSON.parse(line) as { msg?: string; url?: string; worker_pid?: number };
          if (e.msg === 'worker listening') pids.push(e.worker_pid!);
          if (e.msg === 'switchboard listening' && workers === 1) resolve(e.url!);
          if (e.msg === 'switchboard workers listening') resolve(e.url!);
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  return {
    port: Number(new URL(url).port),
    primary: child.pid!,
    // One worker runs in-process: the primary is the node.
    workers: workers === 1 ? [child.pid!] : pids,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Publishes over `POST /post`, `window` requests in flight, each message stamped or not. */
async function poster(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/token?site=${BENCH_SITE.name}`);
  const { token } = (await res.json()) as { token: string };
  const auth = createHmac('sha256', BENCH_SITE.postSecret).update(token).digest('base64');
  const url = `http://127.0.0.1:${port}/post?site=${BENCH_SITE.name}`;
  return async (stamp: number) => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'bench', message: makePayload(100, stamp), token, auth }),
    });
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`POST /post: HTTP ${r.status}`);
  };
}

const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + procStats(pid).cpuMicros, 0);

interface Row {
  workers: number;
  subscribers: number;
  deliveriesPerSec: number;
  pacedP50Ms: number;
  pacedP99Ms: number;
  /** CPU seconds per second of burst wall time, per process group (1.0 = one core busy). */
  cores: { workers: number; primary: number; redis: number; loadGenerator: number };
  serverCpuMicrosPerDelivery: number;
}

async function measure(
  s: Served,
  redisPid: number,
  n: number,
  w: number,
  o: { deliveries: number; reps: number; rate: number; pacedSeconds: number },
): Promise<Row> {
  const pool = await ClientPool.open(await siteClients([s.port]), n);
  try {
    const post = await poster(s.port);
    const messages = Math.max(5, Math.round(o.deliveries / n));
    const window = 8;
    const burst = async (count: number) => {
      let next = 0;
      const lane = async () => {
        while (next++ < count) await post(0);
      };
      await Promise.all(Array.from({ length: window }, lane));
    };
    // Warm-up, and the moment every subscriber is known to receive.
    pool.reset();
    await burst(2);
    if (!(await pool.waitFor(2 * n, 10_000)).complete) throw new Error('warm-up not delivered');
    const rows: { perSec: number; w: number; p: number; r: number; l: number; wall: number }[] = [];
    for (let r = 0; r < o.reps; r++) {
      await sleep(300);
      pool.reset();
      const cw = cpuOf(s.workers);
      const cp = s.workers.includes(s.primary) ? 0 : cpuOf([s.primary]);
      const cr = cpuOf([redisPid]);
      const cl = process.cpuUsage();
      const t0 = performance.now();
      const [, done] = await Promise.all([burst(messages), pool.waitFor(n * messages, 10_000)]);
      if (!done.complete) throw new Error(`burst: ${pool.delivered} of ${n * messages} delivered`);
      const wall = (done.at - t0) * 1000;
      const lg = process.cpuUsage(cl);
      rows.push({
        perSec: pool.delivered / (wall / 1e6),
        w: cpuOf(s.workers) - cw,
        p: s.workers.includes(s.primary) ? 0 : cpuOf([s.primary]) - cp,
        r: cpuOf([redisPid]) - cr,
        l: lg.user + lg.system,
        wall,
      });
    }
    // Paced: `rate` deliveries/s, each message stamped when posted.
    const perSec = o.rate / n;
    const count = Math.max(5, Math.round(perSec * o.pacedSeconds));
    pool.reset();
    pool.startSampling(count * n);
    const start = performance.now();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const wait = start + (i * 1000) / perSec - performance.now();
      if (wait > 0) await sleep(wait);
      sends.push(post(nowMicros()));
    }
    await Promise.all(sends);
    await pool.waitFor(count * n, 10_000);
    const samples = pool.stopSampling().slice().sort();
    const best = rows.sort((a, b) => a.perSec - b.perSec)[Math.floor(rows.length / 2)]!;
    return {
      workers: w,
      subscribers: n,
      deliveriesPerSec: median(rows.map((r) => r.perSec)),
      pacedP50Ms: percentile(samples, 0.5) / 1000,
      pacedP99Ms: percentile(samples, 0.99) / 1000,
      cores: {
        workers: best.w / best.wall,
        primary: best.p / best.wall,
        redis: best.r / best.wall,
        loadGenerator: best.l / best.wall,
      },
      serverCpuMicrosPerDelivery: (best.w + best.p) / (n * messages),
    };
  } finally {
    pool.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '1,2' },
      subscribers: { type: 'string', default: '2000,10000' },
      deliveries: { type: 'string', default: '200000' },
      reps: { type: 'string', default: '3' },
      rate: { type: 'string', default: '20000' },
      'paced-seconds': { type: 'string', default: '2' },
      json: { type: 'string' },
    },
  });
  const found = findRedisServer();
  if (!found.ok) throw new Error(found.reason);
  const o = {
    deliveries: Number(values.deliveries),
    reps: Number(values.reps),
    rate: Number(values.rate),
    pacedSeconds: Number(values['paced-seconds']),
  };
  const dir = mkdtempSync(join(tmpdir(), 'bench-workers-'));
  const redis = await RedisServer.start(found.path);
  const rows: Row[] = [];
  console.log(
    `${cpus().length} cores, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  try {
    for (const n of values.subscribers.split(',').map(Number)) {
      for (const w of values.workers.split(',').map(Number)) {
        const s = await serve(w, redis.url, dir);
        try {
          const row = await measure(s, redis.pid, n, w, o);
          rows.push(row);
          const c = row.cores;
          console.log(
            `${w} worker(s), ${n} subscribers: ${row.deliveriesPerSec.toFixed(0)} deliveries/s, paced p50 ` +
              `${row.pacedP50Ms.toFixed(1)} ms p99 ${row.pacedP99Ms.toFixed(1)} ms; cores busy during bursts: workers ` +
              `${c.workers.toFixed(2)}, primary ${c.primary.toFixed(2)}, redis ${c.redis.toFixed(2)}, load generator ` +
              `${c.loadGenerator.toFixed(2)}; server ${row.serverCpuMicrosPerDelivery.toFixed(2)} µs CPU/delivery`,
          );
        } finally {
          await s.stop();
        }
      }
    }
  } finally {
    await redis.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json)
    writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
