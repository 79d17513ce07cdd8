// The server under test, in its own process so its CPU time and RSS are its own. Started by
// server-proc.ts with `fork`; argv[2] is the kind (`ws` baseline or `switchboard`), argv[3] JSON
// options. Talks over IPC: first `{listening: port}`, then one reply `{id, ok, result|error}` per
// request `{id, op, ...}` (ops below). Publishing happens here, so a burst costs no IPC per message.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector';
import { getHeapSpaceStatistics } from 'node:v8';
import { pino } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { configSchema } from '../src/app/config-schema.js';
import { type RunningServer, startServer } from '../src/app/server.js';
import type { Hub } from '../src/core/hub.js';
import { HeartbeatWheel } from '../src/transport/heartbeat.js';
import {
  BENCH_PUSHER,
  BENCH_ROCKET,
  BENCH_SITE,
  type BeatFigures,
  type ChildKind,
  type ChildRequest,
  type ChildStats,
  type PublishTarget,
  type SwitchboardChildOptions,
  type WsVariant,
} from './child-protocol.js';
import { makePayload, nowMicros } from './payload.js';
import { rawSocket, TurnCorker, textFrame } from './ws-fast-path.js';

/** How a server under test publishes one message; resolves once it is written to every socket. */
type PublishOne = (payload: string, ord: number, target: PublishTarget) => unknown;

interface Under {
  publish: PublishOne;
  subscribed(target: PublishTarget): number;
  hub?: Hub;
  close(): Promise<void>;
}

/**
 * The plain `ws` broadcast server, as written in ws's own README (`plain`), and with the two
 * fast-path levers of ws-fast-path.ts: per-turn coalescing (`cork`), and coalescing plus one
 * pre-built frame written straight to every TCP socket (`preframed`).
 */
async function startWsBaseline(variant: WsVariant): Promise<{ port: number; under: Under }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  // The canonical ws broadcast: render once, then `ws.send` per client.
  const corker = new TurnCorker();
  const publish: PublishOne = (payload, ord, target) => {
    const data = Buffer.from(JSON.stringify({ message: target.channel, ord, body: payload }));
    if (variant === 'plain') {
      for (const client of wss.clients)
        if (client.readyState === WebSocket.OPEN) client.send(data, { binary: false });
    } else if (variant === 'cork') {
      for (const client of wss.clients) {
        if (client.readyState !== WebSocket.OPEN) continue;
        corker.hold(rawSocket(client));
        client.send(data, { binary: false });
      }
    } else {
      const frame = textFrame(data);
      for (const client of wss.clients) {
        if (client.readyState !== WebSocket.OPEN) continue;
        const socket = rawSocket(client);
        corker.hold(socket);
        socket.write(frame);
      }
    }
  };
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    under: {
      publish,
      subscribed: () => wss.clients.size,
      close: () =>
        new Promise<void>((resolve) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => resolve());
        }),
    },
  };
}

async function startSocketIo(): Promise<{ port: number; under: Under }> {
  const { Server } = await import('socket.io');
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    under: {
      // Socket.IO's own broadcast: the packet is encoded once and written to every socket.
      publish: (payload) => io.emit('m', payload),
      subscribed: () => io.of('/').sockets.size,
      close: () => io.close(),
    },
  };
}

async function startSwitchboard(options: SwitchboardChildOptions): Promise<{ port: number; under: Under }> {
  if (options.fastPath) {
    const { applyFastPath } = await import('./switchboard-fast-path.js');
    applyFastPath(options.fastPath);
  }
  if (options.heartbeatMs !== undefined) timeBeats();
  const config = configSchema.parse({
    listen: { host: '127.0.0.1', port: 0 },
    node_id: options.nodeId ?? 1,
    engine: options.redisUrl ? { type: 'redis', url: options.redisUrl, prefix: 'bench' } : undefined,
    namespaces: {
      [BENCH_SITE.name]: {
        secret: BENCH_SITE.secret,
        post_secret: BENCH_SITE.postSecret,
        api_keys: ['bench-key'],
        history_size: 100,
        ...(options.tokenTtl !== undefined && { token_ttl: options.tokenTtl }),
        rocket: {
          path: BENCH_ROCKET.path,
          users: { [BENCH_ROCKET.user]: { secret: '', permissions: ['READ'] } },
        },
        pusher: { ...BENCH_PUSHER, max_connections: 1_000_000 },
      },
    },
    // A burst queues every message for every client at once: the default 1 MiB would be enough
    // for the default sizes, but a larger --messages must not turn into slow-consumer closes.
    // Every bench client comes from 127.0.0.1: the per-IP admission limit would refuse most.
    limits: {
      max_outbound_bytes: 256 * 1024 * 1024,
      max_connections: 1_000_000,
      max_connections_per_ip: 1_000_000,
      ...(options.heartbeatMs !== undefined && { heartbeat_ms: options.heartbeatMs }),
      ...(process.env.BENCH_COALESCE_MS ? { write_coalesce_ms: Number(process.env.BENCH_COALESCE_MS) } : {}),
    },
  });
  const server: RunningServer = await startServer(config, { logger: pino({ level: 'silent' }) });
  const { hub } = server;
  const publish: PublishOne = (payload, _ord, target) =>
    hub.publish(target.namespace, target.channel, { data: payload, sender: target.sender });
  const subscribed = (target: PublishTarget) => {
    let n = 0;
    for (const conn of hub.localConnections()) {
      if (conn.namespace !== target.namespace) continue;
      if (conn.watchingAll || conn.hasSubscription(target.channel)) n++;
    }
    return n;
  };
  return { port: server.port, under: { publish, subscribed, hub, close: () => server.close() } };
}

const beatFigures: BeatFigures = { beats: [], cpuMicros: 0 };

/**
 * Times the listener's heartbeat (src/transport/heartbeat.ts: one slot of the wheel per tick, a
 * slot's pings spread over turns of at most PINGS_PER_TURN): per tick, how late its timer fired
 * and how long until the slot's last ping left, i.e. how late the last socket of the slot was
 * pinged, and the CPU the heartbeat took. A bench-only wrapper around the private methods; the
 * heartbeat itself is unchanged.
 */
function timeBeats(): void {
  type Wheel = { tick(): void; drain(): void; tickMs: number; pending: unknown[] };
  const proto = HeartbeatWheel.prototype as unknown as Wheel;
  const { tick, drain } = proto;
  const last = new WeakMap<Wheel, { previous: number; t0: number; late: number; open: boolean }>();
  let nested = false;
  const cpuOf = (run: () => void) => {
    if (nested) return run(); // a drain inside its tick: counted with the tick
    nested = true;
    const cpu0 = process.cpuUsage();
    try {
      run();
    } finally {
      nested = false;
    }
    const cpu = process.cpuUsage(cpu0);
    beatFigures.cpuMicros += cpu.user + cpu.system;
  };
  const finish = (w: Wheel) => {
    const s = last.get(w);
    if (!s?.open || w.pending.length > 0) return;
    s.open = false;
    beatFigures.beats.push({ lateMs: s.late, sweepMs: performance.now() - s.t0 });
  };
  proto.tick = function timedTick(this: Wheel) {
    const t0 = performance.now();
    const s = last.get(this) ?? { previous: t0 - this.tickMs, t0, late: 0, open: false };
    last.set(this, s);
    // A slot still being pinged when the next tick fires: the new one is timed from here on.
    s.late = Math.max(0, t0 - s.previous - this.tickMs);
    s.previous = t0;
    s.t0 = t0;
    s.open = true;
    cpuOf(() => tick.call(this));
    finish(this);
  };
  proto.drain = function timedDrain(this: Wheel) {
    cpuOf(() => drain.call(this));
    finish(this);
  };
}

function stats(gc: boolean): ChildStats {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const young = getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space');
  return {
    cpuMicros: cpu.user + cpu.system,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    newSpace: young?.space_size,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let profiler: Session | undefined;
const post = (session: Session, method: string) =>
  new Promise<unknown>((resolve, reject) =>
    session.post(method, (err, result) => (err ? reject(err) : resolve(result))),
  );

async function handle(under: Under, req: ChildRequest): Promise<unknown> {
  switch (req.op) {
    case 'stats':
      return stats(req.gc);
    case 'ready': {
      const deadline = Date.now() + req.timeoutMs;
      while (under.subscribed(req.target) < req.count) {
        if (Date.now() > deadline)
          throw new Error(`only ${under.subscribed(req.target)} of ${req.count} subscribed`);
        await sleep(20);
      }
      return under.subscribed(req.target);
    }
    case 'subscribeGateways': {
      const { hub } = under;
      if (hub === undefined) throw new Error('not a Switchboard server');
      const ids = [...hub.localConnections()]
        .filter((c) => c.namespace === req.target.namespace && c.dialect === 'gateway')
        .map((c) => c.id);
      for (const id of ids) {
        await hub.call(id, { fn: 'subscribe', channels: [req.target.channel] }, req.target.namespace);
      }
      return ids.length;
    }
    case 'burst': {
      const payload = makePayload(req.bytes, 0);
      const window = Number(process.env.BENCH_PUBLISH_WINDOW ?? 1);
      if (!(window > 1)) {
        for (let i = 1; i <= req.count; i++) await under.publish(payload, i, req.target);
        return null;
      }
      // --publish-window: `window` publishers in flight, each taking the next message number.
      let next = 1;
      const lane = async () => {
        while (next <= req.count) await under.publish(payload, next++, req.target);
      };
      await Promise.all(Array.from({ length: Math.min(window, req.count) }, lane));
      return null;
    }
    case 'paced': {
      // Each message is due at start + i·period; a late timer publishes at once rather than drift.
      // Also timed per message: from the publish to the end of the turn that wrote it, i.e. the
      // server's serial write of one message to every subscriber (the writes run in that turn's
      // nextTick release), the floor under the latency a client sees. Only meaningful where the
      // fan-out happens in the publishing turn (not the Redis engine: the caller ignores it there).
      const period = 1000 / req.ratePerSec;
      const start = performance.now();
      const fanOutMs: number[] = [];
      for (let i = 0; i < req.count; i++) {
        const wait = start + i * period - performance.now();
        if (wait > 0) await sleep(wait);
        const t0 = performance.now();
        await under.publish(makePayload(req.bytes, nowMicros()), i + 1, req.target);
        await new Promise((resolve) => setImmediate(resolve));
        fanOutMs.push(performance.now() - t0);
      }
      return { fanOutMs };
    }
    case 'beats': {
      const reply = { beats: beatFigures.beats, cpuMicros: beatFigures.cpuMicros };
      beatFigures.beats = [];
      return reply;
    }
    case 'profileStart': {
      // A profile of just one phase (curve.ts --profile), unlike --cpu-prof's whole process.
      profiler ??= new Session();
      profiler.connect();
      await post(profiler, 'Profiler.enable');
      await post(profiler, 'Profiler.start');
      return null;
    }
    case 'profileStop': {
      if (!profiler) throw new Error('no profile running');
      const { profile } = (await post(profiler, 'Profiler.stop')) as { profile: unknown };
      profiler.disconnect();
      writeFileSync(req.file, JSON.stringify(profile));
      return req.file;
    }
    case 'close':
      await under.close();
      return null;
  }
}

async function main(): Promise<void> {
  const kind = process.argv[2] as ChildKind;
  const starters: Record<ChildKind, () => Promise<{ port: number; under: Under }>> = {
    ws: () => startWsBaseline((process.argv[3] ?? 'plain') as WsVariant),
    socketio: startSocketIo,
    switchboard: () => startSwitchboard(JSON.parse(process.argv[3] ?? '{}') as SwitchboardChildOptions),
  };
  const { port, under } = await starters[kind]();
  process.on('message', (msg: { id: number } & ChildRequest) => {
    handle(under, msg).then(
      (result) => {
        process.send?.({ id: msg.id, ok: true, result });
        // Exit normally (not by signal) so `--cpu-prof` writes its profile.
        if (msg.op === 'close') setImmediate(() => process.exit(0));
      },
      (err: unknown) =>
        process.send?.({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ listening: port });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
