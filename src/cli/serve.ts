// `switchboard serve`: load the config, start the server, shut down gracefully on SIGTERM/SIGINT,
// reload the TLS certificate on SIGHUP.
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { type Logger, pino } from 'pino';
import { ConfigError, type LoadedConfig, loadConfig } from '../app/config.js';
import type { Config } from '../app/config-schema.js';
import { demoBanner } from '../app/demo-config.js';
import { startServer } from '../app/server.js';
import { configSummary } from '../ops/ops-log.js';
import type { Command } from './main.js';
import { type ControlMessage, type ListeningMessage, superviseWorkers, workerCount } from './workers.js';

const usage = `Usage: switchboard serve [options]

Runs the server. Without --config (or SWITCHBOARD_CONFIG) it runs a demo setup on 127.0.0.1
and prints its random secrets with an example for each protocol.

Options:
  -c, --config FILE  the YAML config file (default: env SWITCHBOARD_CONFIG, else the demo)
  -p, --port N       listen.port (0 picks a free port)
      --host H       listen.host
      --node-id N    node_id, 0..1023 (unique per node in a cluster)
      --workers N    workers: N processes on one port ("auto": one per core), engine redis only
      --kozma        chat.kozma: run the Kozma Prutkov bot
      --set K=V      override any key, e.g. --set namespaces.main.token_ttl=600 (repeatable)
  -h, --help         this text

Precedence, later wins: file (or demo), SWITCHBOARD_* env vars, --set, the flags above.
Signals: SIGTERM/SIGINT shut down gracefully; SIGHUP re-reads the tls cert and key files
(new connections get the new certificate, open ones stay; a bad pair keeps the old one).
With workers, signal the primary process: it passes each signal on to every worker, and
restarts a worker that dies.
Exit codes: 0 after a clean shutdown, 1 on a failure, 2 for a bad config or bad options.
`;

const GRACE_EXTRA_MS = 2000;

/** Process-wide faults caught by the crash guards; they only grow (logs, metrics). */
export const processFaults = { unhandledRejections: 0, uncaughtExceptions: 0 };

/**
 * Error codes of a single socket's I/O failing (a peer vanished mid-write, say). When one of
 * these escapes as an uncaught exception, only that socket is affected and the process state is
 * intact, so serving on is safe. Anything else may have left shared state half-updated.
 */
const SOCKET_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/** Whether the process may keep serving after this uncaught exception (see installCrashGuards). */
export function isSafeToContinue(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SOCKET_ERROR_CODES.has(code);
}

/**
 * The last line of defence; every connection's input is already handled inside try/catch and
 * promise chains, so reaching here is a bug worth a log line, never a silent exit:
 * - an unhandled rejection is logged and counted and the server serves on: a rejected promise
 *   unwinds nothing half-way, so it leaves no shared state inconsistent;
 * - an uncaught exception from one socket's I/O (isSafeToContinue) is logged and counted and the
 *   server serves on; any other one is logged as fatal and `onFatal` runs: a graceful shutdown
 *   (clients get 1012 and reconnect, to this process once its supervisor restarts it, exit 1),
 *   because a throw part-way through shared-state updates (hub maps, queues) can leave them wrong
 *   in ways that would then misroute or lose messages for everyone.
 * `target` is `process` in production; tests pass an EventEmitter.
 */
export function installCrashGuards(
  target: Pick<NodeJS.Process, 'on'>,
  logger: Logger,
  onFatal: (err: unknown) => void,
): void {
  target.on('unhandledRejection', (reason: unknown) => {
    processFaults.unhandledRejections++;
    logger.error(
      { err: reason, unhandled_rejections: processFaults.unhandledRejections },
      'unhandled promise rejection; serving on',
    );
  });
  target.on('uncaughtException', (err: Error, origin: string) => {
    processFaults.uncaughtExceptions++;
    if (isSafeToContinue(err)) {
      logger.warn(
        { err, origin, uncaught_exceptions: processFaults.uncaughtExceptions },
        'uncaught socket error; serving on',
      );
      return;
    }
    logger.fatal(
      { err, origin, uncaught_exceptions: processFaults.uncaughtExceptions },
      'uncaught exception; shutting down',
    );
    onFatal(err);
  });
}

async function run(args: string[]): Promise<number> {
  let loaded: LoadedConfig;
  try {
    const { values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'node-id': { type: 'string' },
        workers: { type: 'string' },
        kozma: { type: 'boolean' },
        set: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    loaded = loadConfig({
      argv: {
        config: values.config,
        port: toNumber(values.port),
        host: values.host,
        nodeId: toNumber(values['node-id']),
        kozma: values.kozma,
        workers:
          values.workers === undefined ? undefined : (toNumberOrText(values.workers) ?? values.workers),
        set: values.set,
      },
      env: process.env,
    });
  } catch (err) {
    // A bad config refuses to start: nothing half-configured ever listens.
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`switchboard serve: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }

  let { config } = loaded;
  // Synchronous writes: a few lines per event, none on hot paths, and nothing is lost or
  // reordered when the process exits right after shutdown.
  const root = pino({ level: config.log.level }, pino.destination({ dest: 1, sync: true }));
  const inWorker = cluster.isWorker && config.workers !== 1;
  const logger = inWorker ? root.child({ worker: cluster.worker?.id }) : root;
  if (config.workers !== 1 && cluster.isPrimary) {
    root.info(
      { source: loaded.source, engine: config.engine.type, workers: config.workers },
      'config loaded',
    );
    return superviseWorkers(config, root, workerCount(config.workers));
  }
  // Workers of one host cannot share a configured node id: each leases its own.
  if (inWorker && config.engine.type === 'redis') {
    config = { ...config, engine: { ...config.engine, lease_node_id: true } };
  }
  logger.info(
    { ...configSummary(config, loaded.source), node_id: inWorker ? 'leased' : config.node_id },
    'config loaded',
  );
  let server: Awaited<ReturnType<typeof startServer>>;
  for (let attempt = 1; ; attempt++) {
    try {
      server = await startServer(config, { logger });
      break;
    } catch (err) {
      const failure = describeStartFailure(err, config);
      if (failure.redis && attempt < REDIS_START_ATTEMPTS) {
        // Redis often comes up a moment after the nodes (compose, a reboot): wait for it, visibly.
        process.stderr.write(
          `switchboard: ${failure.sentence}; retrying in ${REDIS_RETRY_S} s (attempt ${attempt + 1} of ${REDIS_START_ATTEMPTS})\n`,
        );
        await new Promise((r) => setTimeout(r, REDIS_RETRY_S * 1000));
        continue;
      }
      const sentence = failure.redis
        ? `${failure.sentence} after ${REDIS_START_ATTEMPTS} attempts: is it running, and is engine.url right?`
        : failure.sentence;
      logger.fatal({ reason: sentence }, 'start failed');
      process.stderr.write(`switchboard: ${sentence}\n`);
      return 1;
    }
  }
  const printBanner = () => {
    if (!loaded.demo) return;
    // Printed after listening, so that the URLs carry the real port (--port 0 included).
    const listen = { host: server.host, port: server.port };
    process.stdout.write(`${demoBanner({ ...config, listen })}\n`);
  };

  return new Promise<number>((resolve) => {
    let stopping = false;
    // A fatal fault shuts down as gracefully as a signal does, but reports failure.
    let failed = false;
    const stop = (signal: NodeJS.Signals | 'uncaughtException') => {
      if (stopping && signal === 'uncaughtException') {
        logger.fatal('uncaught exception during shutdown, exiting without waiting');
        resolve(1);
        return;
      }
      if (stopping) {
        // A second Ctrl-C means "now": do not make the operator wait out the grace period.
        logger.warn({ signal }, 'second signal, exiting without waiting');
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error(
          { timeout_ms: config.limits.shutdown_timeout_ms + GRACE_EXTRA_MS },
          'shutdown timed out',
        );
        resolve(1);
      }, config.limits.shutdown_timeout_ms + GRACE_EXTRA_MS);
      server.close().then(
        () => {
          clearTimeout(timer);
          resolve(failed ? 1 : 0);
        },
        (err: unknown) => {
          clearTimeout(timer);
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // After the handlers: whoever waits for the banner (a person, a test, a script) may stop the
    // server as soon as it reads it, and a signal before them would kill it without a shutdown.
    printBanner();
    if (inWorker) {
      const listening: ListeningMessage = { sb: 'listening', url: server.url, nodeId: server.hub.nodeId };
      process.send?.(listening);
      process.on('message', (msg: Partial<ControlMessage>) => {
        // Ctrl-C reaches the workers and the primary at once: the primary's word that follows is
        // the same request, not the "second signal" that cuts the grace period short.
        if (msg?.sb === 'shutdown' && !stopping) stop('SIGTERM');
        else if (msg?.sb === 'reload-tls' && !stopping) void server.reloadTls();
      });
      // The primary is gone (killed): nobody hands this worker connections any more.
      process.on('disconnect', () => {
        if (!stopping) stop('SIGTERM');
      });
    }
    // Certificate renewal without dropping a connection. Handled even without `tls` (it logs that
    // there is nothing to reload): Node's default for SIGHUP is to exit on the spot, which would cut
    // every client without the 1012 a shutdown sends. reloadTls logs its own outcome and never throws.
    process.on('SIGHUP', () => {
      if (stopping) return;
      logger.info({ signal: 'SIGHUP' }, 'reloading tls certificate');
      void server.reloadTls();
    });
    installCrashGuards(process, logger, () => {
      failed = true;
      stop('uncaughtException');
    });
  });
}

/** Start-up waits this many tries for an unreachable Redis, this many seconds apart. */
const REDIS_START_ATTEMPTS = 5;
const REDIS_RETRY_S = 2;

/** One human sentence for why the server could not start; `redis` when waiting may help. */
export function describeStartFailure(err: unknown, config: Config): { sentence: string; redis: boolean } {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  const message = e instanceof Error ? e.message : String(err);
  const { host, port } = config.listen;
  if (e?.code === 'EADDRINUSE') {
    return { sentence: `port ${port} is in use on ${host}: another Switchboard? use --port`, redis: false };
  }
  if (e?.code === 'EACCES' && e.syscall === 'listen') {
    return {
      sentence: `not allowed to listen on port ${port}: ports below 1024 need privileges; use --port with a higher one`,
      redis: false,
    };
  }
  if (e?.code === 'EADDRNOTAVAIL') {
    return { sentence: `listen.host ${host} is not an address of this machine: use --host`, redis: false };
  }
  if (message.startsWith('tls.')) return { sentence: message, redis: false };
  if (config.engine.type === 'redis' && /redis|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN/i.test(message)) {
    const where = config.engine.sentinels
      ? `master "${config.engine.name}" of Sentinel ${config.engine.sentinels.join(',')}`
      : config.engine.url;
    return { sentence: `cannot reach Redis at ${where}`, redis: true };
  }
  return { sentence: `could not start: ${message}`, redis: false };
}

/** Digits become a number, anything else stays text (validation reports what it accepts). */
function toNumberOrText(text: string): number | undefined {
  return /^\d+$/.test(text.trim()) ? Number(text) : undefined;
}

/** Digits become a number; anything else becomes NaN, which validation reports by key path. */
function toNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return /^-?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
}

export const command: Command = { usage, run, exitWhenDone: true };
