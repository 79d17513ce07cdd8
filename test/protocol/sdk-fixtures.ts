// Shared setup of the SDK tests: a real server that can be restarted on the same port (the
// clients under test must find it again), and bounded waits.
import { pino } from 'pino';
import { configSchema } from '../../src/app/config-schema.js';
import { type RunningServer, startServer } from '../../src/app/server.js';

/** A server restartable on its port: `restart()` closes it (1012 to every client) and starts anew. */
export interface RestartableServer {
  readonly port: number;
  readonly current: RunningServer;
  base: string;
  ws(pathAndQuery: string): string;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startRestartable(config: Record<string, unknown>): Promise<RestartableServer> {
  const logger = pino({ level: process.env.SWITCHBOARD_TEST_LOG ?? 'silent' });
  const start = (port: number) =>
    startServer(configSchema.parse({ ...config, listen: { host: '127.0.0.1', port } }), { logger });
  let current = await start(0);
  const port = current.port;
  let closed = false;
  return {
    port,
    get current() {
      return current;
    },
    base: `http://127.0.0.1:${port}`,
    ws: (p) => `ws://127.0.0.1:${port}${p}`,
    restart: async () => {
      await current.close();
      current = await start(port);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await current.close();
    },
  };
}

export async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The settled value of a promise, or a timeout error naming `what`. */
export function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
