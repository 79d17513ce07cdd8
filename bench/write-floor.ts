// The floor under a paced fan-out's latency: what one small write to each of N loopback TCP
// sockets costs on this machine, one after another, as any single-threaded server must do for a
// message that reaches N subscribers in its own turn (nothing to coalesce with).
//
//   node dist/bench/write-floor.js [--sockets 2000] [--reps 20] [--bytes 138]
//
// Two ways to write, each timed over the whole serial loop (median of the reps):
// - `socket.write`: Node's stream path, what ws and Switchboard use (libuv tries the write at once);
// - `fs.writeSync(fd)`: the bare syscall on the same sockets' descriptors, no stream bookkeeping.
// A child process holds the other ends and reads everything, so the kernel work of delivering
// on loopback is what a real receiver causes. Prints µs per write (wall, user, system CPU).
import { fork } from 'node:child_process';
import { writeSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

interface Figures {
  wall: number;
  user: number;
  system: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function reader(): void {
  // The child: accept every connection and read (discard) what arrives.
  const server: Server = createServer((s) => s.on('data', () => {}));
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  process.on('disconnect', () => process.exit(0));
}

async function openSockets(port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from(
      { length: Math.min(100, n - i) },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
          s.once('error', reject);
        }),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

function timeLoop(n: number, write: (i: number) => void): Figures {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) write(i);
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { wall: wallNs / 1000 / n, user: cpu.user / n, system: cpu.system / n };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--reader') return reader();
  const { values } = parseArgs({
    options: {
      sockets: { type: 'string', default: '2000' },
      reps: { type: 'string', default: '20' },
      bytes: { type: 'string', default: '138' },
    },
  });
  const n = Number(values.sockets);
  const reps = Number(values.reps);
  const payload = Buffer.alloc(Number(values.bytes), 0x78);
  const child = fork(new URL(import.meta.url).pathname, ['--reader']);
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const sockets = await openSockets(port, n);
  const fds = sockets.map((s) => (s as unknown as { _handle: { fd: number } })._handle.fd);
  const results: Record<string, Figures[]> = { 'socket.write': [], 'fs.writeSync(fd)': [] };
  for (let r = 0; r < reps + 1; r++) {
    for (const [name, write] of [
      ['socket.write', (i: number) => sockets[i]!.write(payload)],
      ['fs.writeSync(fd)', (i: number) => writeSync(fds[i]!, payload)],
    ] as const) {
      await sleep(30); // let the reader drain, and the previous loop's callbacks run
      const f = timeLoop(n, write);
      if (r > 0) results[name]!.push(f); // the first rep warms the JIT up
    }
  }
  console.log(`serial write of ${payload.length} B to each of ${n} loopback sockets, median of ${reps}:`);
  for (const [name, figures] of Object.entries(results)) {
    const wall = median(figures.map((f) => f.wall));
    const user = median(figures.map((f) => f.user));
    const system = median(figures.map((f) => f.system));
    console.log(
      `  ${name.padEnd(17)} ${wall.toFixed(2)} µs/write wall (user ${user.toFixed(2)}, system ${system.toFixed(2)}); ` +
        `one message to all ${n}: ${((wall * n) / 1000).toFixed(1)} ms`,
    );
  }
  for (const s of sockets) s.destroy();
  child.disconnect();
}

await main();
