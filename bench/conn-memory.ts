// Where an idle connection's memory goes on the server. One process holds the server under test
// (a plain `ws` server, then Switchboard site with idle and with subscribed clients); a child
// process (this file with `--clients`) opens N connections, so the clients cost the server nothing.
// After a forced gc the server's process.memoryUsage() is compared before and after the N
// connections, and two heap snapshots are diffed by (node type, constructor/name) to attribute
// the V8 heap per connection. RSS − heap is native memory: libuv handles, ws/OpenSSL-free C++
// state of net.Socket (TCPWrap), malloc'd stream buffers. Kernel socket buffers are not in RSS.
//
//   node --expose-gc dist/bench/conn-memory.js [--n 5000] [--no-snapshot] [--scenario ws|site-idle|site-subscribed [--snapshot]]
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { pino } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { configSchema } from '../src/app/config-schema.js';
import { startServer } from '../src/app/server.js';

const SITE = { name: 'bench', secret: 'bench-secret' } as const;
const CHANNEL = 'bench';

// ---- the child: N idle clients ------------------------------------------------------------
async function runClients(url: string, n: number, subscribe: string | undefined): Promise<void> {
  const sockets: WebSocket[] = [];
  let next = 0;
  const openOne = () =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      sockets.push(ws);
      ws.once('error', reject);
      ws.once('open', () => {
        if (!subscribe) return resolve();
        ws.once('message', () => resolve());
        ws.send(subscribe);
      });
    });
  const worker = async () => {
    while (next < n) {
      next++;
      await openOne();
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  process.send?.('ready');
  process.on('message', () => {
    for (const ws of sockets) ws.terminate();
    setTimeout(() => process.exit(0), 200);
  });
}

// ---- the server side: measure ---------------------------------------------------------------
interface Sample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

function sample(): Sample {
  for (let i = 0; i < 4; i++) globalThis.gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

type Histogram = Map<string, { count: number; size: number }>;

/** Self size and count per (type, name) of every node of a heap snapshot. */
/** `--keep-snapshots DIR`: the snapshots stay there (before, after) for a retainer analysis. */
const keepDir = (() => {
  const i = process.argv.indexOf('--keep-snapshots');
  return i >= 0 ? process.argv[i + 1] : undefined;
})();

function snapshotHistogram(): Histogram {
  const file = join(keepDir ?? tmpdir(), `conn-memory-${process.pid}-${Date.now()}.heapsnapshot`);
  v8.writeHeapSnapshot(file);
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  if (keepDir === undefined) rmSync(file);
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const out: Histogram = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    const raw = snap.strings[snap.nodes[i + iName]!]!;
    // Strings and numbers are keyed by type only: their "name" is their value.
    const name =
      type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number'
        ? ''
        : raw.length > 60
          ? `${raw.slice(0, 57)}...`
          : raw;
    const key = `${type}${name ? `: ${name}` : ''}`;
    const entry = out.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += snap.nodes[i + iSize]!;
    out.set(key, entry);
  }
  return out;
}

interface Result {
  label: string;
  n: number;
  delta: Sample;
  top?: { key: string; count: number; bytes: number }[];
}

async function measure(
  label: string,
  url: string,
  n: number,
  subscribe: string | undefined,
  snapshots: boolean,
): Promise<Result> {
  const before = sample();
  const hBefore = snapshots ? snapshotHistogram() : undefined;
  const self = new URL(import.meta.url).pathname;
  const child = fork(self, ['--clients', url, String(n), subscribe ?? ''], { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`clients exited with ${code}`)));
  });
  await new Promise((r) => setTimeout(r, 500));
  const after = sample();
  const delta: Sample = {
    rss: after.rss - before.rss,
    heapUsed: after.heapUsed - before.heapUsed,
    external: after.external - before.external,
    arrayBuffers: after.arrayBuffers - before.arrayBuffers,
  };
  let top: Result['top'];
  if (hBefore) {
    const hAfter = snapshotHistogram();
    top = [];
    for (const [key, a] of hAfter) {
      const b = hBefore.get(key) ?? { count: 0, size: 0 };
      const bytes = (a.size - b.size) / n;
      if (bytes >= 8) top.push({ key, count: (a.count - b.count) / n, bytes });
    }
    top.sort((x, y) => y.bytes - x.bytes);
  }
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.once('exit', r));
  child.send('close');
  await exited;
  return { label, n, delta, top };
}

const kib = (b: number) => (b / 1024).toFixed(2);

function report(r: Result): void {
  const per = (b: number) => kib(b / r.n);
  console.log(`\n## ${r.label} (${r.n} connections${r.top ? ', heap snapshots' : ''})`);
  if (r.top) {
    // Parsing the first snapshot grows RSS that the connections then reuse: RSS is meaningless here.
    console.log(`per connection: V8 heap ${per(r.delta.heapUsed)} KiB`);
  } else
    console.log(
      `per connection: RSS ${per(r.delta.rss)} KiB | V8 heap ${per(r.delta.heapUsed)} KiB | ` +
        `external ${per(r.delta.external)} KiB (arrayBuffers ${per(r.delta.arrayBuffers)}) | ` +
        `RSS − heap − external ${per(r.delta.rss - r.delta.heapUsed - r.delta.external)} KiB`,
    );
  if (!r.top) return;
  console.log('| heap node (type: name) | per conn | bytes/conn |');
  console.log('| --- | --- | --- |');
  for (const t of r.top.slice(0, 30))
    console.log(`| ${t.key} | ${t.count.toFixed(2)} | ${t.bytes.toFixed(0)} |`);
  const listed = r.top.reduce((s, t) => s + t.bytes, 0);
  console.log(`(sum of rows ≥ 8 B: ${listed.toFixed(0)} B/conn)`);
}

const SCENARIOS = ['ws', 'site-idle', 'site-subscribed'] as const;
type ScenarioKey = (typeof SCENARIOS)[number];

/** One scenario in this process: its server, N clients from a child, one measurement. */
async function runScenario(key: ScenarioKey, n: number, snapshots: boolean): Promise<void> {
  if (key === 'ws') {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise((r) => wss.once('listening', r));
    const wsPort = (wss.address() as { port: number }).port;
    report(await measure('plain ws server', `ws://127.0.0.1:${wsPort}/`, n, undefined, snapshots));
    await new Promise((r) => wss.close(r));
    return;
  }
  const config = configSchema.parse({
    listen: { host: '127.0.0.1', port: 0 },
    namespaces: { [SITE.name]: { secret: SITE.secret, history_size: 100 } },
    limits: { max_connections: 1_000_000, max_connections_per_ip: 1_000_000 },
  });
  const server = await startServer(config, { logger: pino({ level: 'silent' }) });
  const base = `ws://127.0.0.1:${server.port}/ws?site=${SITE.name}`;
  let subscribe: string | undefined;
  if (key === 'site-subscribed') {
    const res = await fetch(`http://127.0.0.1:${server.port}/token?site=${SITE.name}`);
    const { token } = (await res.json()) as { token: string };
    const auth = createHmac('sha256', SITE.secret)
      .update(CHANNEL + token)
      .digest('base64');
    const body = { channel: CHANNEL, after: 0, token, auth };
    subscribe = JSON.stringify({ request: 'subscribe', req_id: '1', body });
  }
  const label = subscribe ? 'Switchboard site, one subscription each' : 'Switchboard site, idle';
  report(await measure(label, base, n, subscribe, snapshots));
  await server.close();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--clients') return runClients(args[1]!, Number(args[2]), args[3] || undefined);
  if (!globalThis.gc) throw new Error('run with node --expose-gc');
  const nIdx = args.indexOf('--n');
  const n = nIdx >= 0 ? Number(args[nIdx + 1]) : 5000;
  const sIdx = args.indexOf('--scenario');
  if (sIdx >= 0) return runScenario(args[sIdx + 1] as ScenarioKey, n, args.includes('--snapshot'));
  // Each figure from a fresh process: memory freed by an earlier scenario (or by parsing a heap
  // snapshot) stays in RSS and would be reused, hiding the next scenario's growth. RSS comes from
  // a run without snapshots; the heap attribution from a second run with them.
  const self = new URL(import.meta.url).pathname;
  const only = args.includes('--no-snapshot') ? [false] : [false, true];
  for (const key of SCENARIOS) {
    for (const snap of only) {
      const argv = ['--scenario', key, '--n', String(n), ...(snap ? ['--snapshot'] : [])];
      const child = fork(self, argv, { execArgv: ['--expose-gc'], stdio: 'inherit' });
      await new Promise((r) => child.once('exit', r));
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
