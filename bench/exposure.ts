// What anonymous clients can make a server hold, measured as the RSS of a real server process
// (`switchboard serve`, the built CLI) before and after a flood from loopback clients.
//
//   node dist/bench/exposure.js gateway [--frames N] [--bytes B] [--keyed]
//     gateway clients flood `/client` of a namespace with no API key and no trusted network
//     (a namespace no backend can ever consume from); with --keyed the namespace has a key but no
//     backend is connected, so the frames wait in the client topic (bounded by topic_size and
//     topic_bytes)
//   node dist/bench/exposure.js chat [--rooms N] [--seconds S] [--bytes B] [--max-rooms M] [--engine-url redis://…]
//     one anonymous chat user posts a B-byte text to a new room N times over S seconds (default
//     5,364 rooms of 10 KB in 60 s); run once with the default
//     `chat.max_rooms` and once with a huge one to see what the bound keeps
//   node dist/bench/exposure.js rocket [--channels N] [--seconds S] [--bytes B] [--max-channels M] [--new-per-minute R] [--engine-url redis://…]
//     one rocket WRITE user subscribes to a new channel, broadcasts B bytes to it and leaves it, N times over
//     S seconds (default the chat flood's 5,364 channels of 10 KB in 60 s); defaults are the
//     server's `max_channels` and `max_new_channels_per_minute`, huge values show what no bound keeps
//
// Prints one JSON line: RSS (MiB) at start, after the flood, and after a settle of a few seconds
// (rocket: also the server CPU seconds the flood cost),
// plus what the server reports (topic depth, rooms listed). The load average goes beside it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';

const ADMIN_KEY = 'bench-admin-key';

interface Server {
  child: ChildProcess;
  url: string;
  rssMiB(): number;
  /** CPU seconds (user + system) the server process has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

async function startServer(config: Record<string, unknown>): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-exposure-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const main = new URL('../src/cli/main.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, 'serve', '--config', file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('server did not start in 30 s')), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      for (const line of buf.split('\n')) {
        if (!line.includes('switchboard listening')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line).url as string);
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  let url: string;
  try {
    url = await started;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  child.stdout!.resume();
  return {
    child,
    url,
    rssMiB: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return Math.round((kb / 1024) * 10) / 10;
    },
    cpuSeconds: () => {
      // Fields 14 and 15 of /proc/PID/stat (after the parenthesised name), in clock ticks of 1/100 s.
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)),
    );
    ws.once('error', reject);
  });
}

/** Send frames without outrunning the per-connection rate limit (burst 200, 100/s). */
async function sendPaced(ws: WebSocket, frames: number, make: (i: number) => string): Promise<void> {
  for (let i = 0; i < frames; i++) {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(make(i));
    if (i % 150 === 149) await new Promise((r) => setTimeout(r, 1600));
  }
  await new Promise<void>((resolve) => {
    const check = () => (ws.bufferedAmount === 0 ? resolve() : setTimeout(check, 20));
    check();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function adminGet(url: string, path: string): Promise<unknown> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return res.json();
}

async function gateway(frames: number, bytes: number, keyed: boolean): Promise<Record<string, unknown>> {
  const server = await startServer({
    listen: { host: '127.0.0.1', port: 0 },
    admin: { key: ADMIN_KEY },
    log: { level: 'info' },
    namespaces: { open: keyed ? { api_keys: ['bench-key'] } : {} },
  });
  try {
    await sleep(500);
    const start = server.rssMiB();
    const perClient = 150;
    const clients = Math.ceil(frames / perClient);
    const text = 'x'.repeat(bytes);
    let refused: string | undefined;
    const sockets: WebSocket[] = [];
    for (let c = 0; c < clients; c++) {
      try {
        sockets.push(await open(`${server.url.replace(/^http/, 'ws')}/client?site=open`));
      } catch (err) {
        refused = (err as Error).message;
        break;
      }
    }
    await Promise.all(sockets.map((ws) => sendPaced(ws, perClient, () => text)));
    await sleep(1000);
    const flooded = server.rssMiB();
    const topics = (await adminGet(server.url, '/admin/api/namespaces/open/topics')) as unknown[];
    for (const ws of sockets) ws.close();
    await sleep(3000);
    return {
      scenario: 'gateway',
      keyed,
      frames: refused ? 0 : clients * perClient,
      bytes,
      refused: refused ?? null,
      rss_start_mib: start,
      rss_flooded_mib: flooded,
      rss_after_close_mib: server.rssMiB(),
      topics,
    };
  } finally {
    await server.stop();
  }
}

async function chat(
  rooms: number,
  seconds: number,
  bytes: number,
  maxRooms: number,
  engineUrl: string | undefined,
) {
  const server = await startServer({
    listen: { host: '127.0.0.1', port: 0 },
    admin: { key: ADMIN_KEY },
    log: { level: 'info' },
    ...(engineUrl ? { engine: { type: 'redis', url: engineUrl, prefix: `bench${Date.now()}` } } : {}),
    // The per-address creation rate would stop one loopback user long before the room bound;
    // this measures what max_rooms keeps, so the rate is opened up.
    chat: { max_rooms: maxRooms, max_new_rooms_per_minute: rooms * 2, max_message_length: bytes },
  });
  try {
    await sleep(500);
    const start = server.rssMiB();
    const t0 = Date.now();
    const text = 'y'.repeat(bytes);
    // One anonymous user, as in the scenario measured: every post to a new room, spread evenly
    // over `seconds` (5,364 in 60 s is 89 a second, under the per-connection rate limit).
    const ws = await open(`${server.url.replace(/^http/, 'ws')}/ws?username=flood`);
    let echoes = 0;
    ws.on('message', () => void echoes++);
    const sockets = [ws];
    for (let i = 0; i < rooms; i++) {
      const due = t0 + (i * seconds * 1000) / rooms;
      if (due > Date.now()) await sleep(due - Date.now());
      if (ws.readyState !== WebSocket.OPEN) break;
      ws.send(JSON.stringify({ room: `r${i}`, text }));
    }
    await sleep(1000);
    const floodSeconds = (Date.now() - t0) / 1000;
    const flooded = server.rssMiB();
    const listStart = Date.now();
    const res = await fetch(`${server.url}/api/rooms`);
    const body = await res.text();
    const listMs = Date.now() - listStart;
    for (const ws of sockets) ws.close();
    await sleep(3000);
    const stats = (await adminGet(server.url, '/admin/api/namespaces/chat/channels?local=1')) as unknown[];
    return {
      scenario: 'chat',
      engine: engineUrl ? 'redis' : 'memory',
      rooms,
      bytes,
      max_rooms: maxRooms,
      echoes,
      flood_s: Math.round(floodSeconds),
      rss_start_mib: start,
      rss_flooded_mib: flooded,
      rss_after_close_mib: server.rssMiB(),
      rooms_kept: stats.length,
      api_rooms_bytes: body.length,
      api_rooms_ms: listMs,
    };
  } finally {
    await server.stop();
  }
}

async function rocket(
  channels: number,
  seconds: number,
  bytes: number,
  maxChannels: number | undefined,
  newPerMinute: number | undefined,
  engineUrl: string | undefined,
) {
  const server = await startServer({
    listen: { host: '127.0.0.1', port: 0 },
    ...(engineUrl ? { engine: { type: 'redis', url: engineUrl, prefix: `bench${Date.now()}` } } : {}),
    admin: { key: ADMIN_KEY },
    log: { level: 'info' },
    // Three frames per channel (subscribe, broadcast, unsubscribe) at 89 channels a second is over the generic
    // 100 frames/s per connection: a credentialed backend may be given more, so it is opened up.
    limits: { max_messages_per_second: 1000, max_messages_burst: 2000 },
    namespaces: {
      app: {
        rocket: { path: '/rocket', users: { flood: { secret: 'w', permissions: ['READ', 'WRITE'] } } },
        ...(maxChannels !== undefined && { max_channels: maxChannels }),
        ...(newPerMinute !== undefined && { max_new_channels_per_minute: newPerMinute }),
      },
    },
  });
  try {
    await sleep(500);
    const start = server.rssMiB();
    const ws = await open(`${server.url.replace(/^http/, 'ws')}/rocket`);
    const replies = { broadcasted: 0, rate_limited: 0, other: 0 };
    ws.on('message', (data: Buffer) => {
      const reply = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      if ('broadcasted' in reply) replies.broadcasted++;
      else if (reply.err === 'RATE_LIMITED') replies.rate_limited++;
      else if ('err' in reply) replies.other++;
    });
    ws.send(JSON.stringify({ authenticate: { user: 'flood', secret: 'w' } }));
    const data = 'z'.repeat(bytes);
    const cpu0 = server.cpuSeconds();
    const t0 = Date.now();
    for (let i = 0; i < channels; i++) {
      const due = t0 + (i * seconds * 1000) / channels;
      if (due > Date.now()) await sleep(due - Date.now());
      if (ws.readyState !== WebSocket.OPEN) break;
      ws.send(JSON.stringify({ subscribe: { channel: `c${i}` } }));
      ws.send(JSON.stringify({ broadcast: { event: 'e', channel: `c${i}`, data } }));
      // Within limits.max_channels_per_connection: the channel keeps its history without it.
      ws.send(JSON.stringify({ unsubscribe: { channel: `c${i}` } }));
    }
    await sleep(1000);
    const floodSeconds = (Date.now() - t0) / 1000;
    const floodCpu = server.cpuSeconds() - cpu0;
    const flooded = server.rssMiB();
    ws.close();
    await sleep(3000);
    const kept = (await adminGet(server.url, '/admin/api/namespaces/app/channels?local=1')) as unknown[];
    return {
      scenario: 'rocket',
      engine: engineUrl ? 'redis' : 'memory',
      server_cpu_s: Math.round(floodCpu * 100) / 100,
      channels,
      bytes,
      max_channels: maxChannels ?? 'default',
      max_new_channels_per_minute: newPerMinute ?? 'default',
      ...replies,
      flood_s: Math.round(floodSeconds),
      rss_start_mib: start,
      rss_flooded_mib: flooded,
      rss_after_close_mib: server.rssMiB(),
      channels_kept: kept.length,
    };
  } finally {
    await server.stop();
  }
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    frames: { type: 'string', default: '3000' },
    rooms: { type: 'string', default: '5364' },
    seconds: { type: 'string', default: '60' },
    bytes: { type: 'string' },
    'max-rooms': { type: 'string', default: '1000' },
    channels: { type: 'string', default: '5364' },
    'max-channels': { type: 'string' },
    'new-per-minute': { type: 'string' },
    'engine-url': { type: 'string' },
    keyed: { type: 'boolean', default: false },
  },
});
const which = positionals[0];
let result: Record<string, unknown>;
if (which === 'gateway')
  result = await gateway(Number(values.frames), Number(values.bytes ?? 60_000), values.keyed);
else if (which === 'chat')
  result = await chat(
    Number(values.rooms),
    Number(values.seconds),
    Number(values.bytes ?? 10_000),
    Number(values['max-rooms']),
    values['engine-url'],
  );
else if (which === 'rocket') {
  const optional = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  result = await rocket(
    Number(values.channels),
    Number(values.seconds),
    Number(values.bytes ?? 10_000),
    optional(values['max-channels']),
    optional(values['new-per-minute']),
    values['engine-url'],
  );
} else throw new Error('usage: exposure.js gateway|chat|rocket [options]');
console.log(JSON.stringify({ ...result, loadavg: loadavg().map((l) => Math.round(l * 100) / 100) }));
