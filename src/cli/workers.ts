// `switchboard serve --workers N`: the primary process of a node:cluster. It holds the listening
// socket and hands each new connection to one worker in turn (node:cluster's round-robin), and it
// never serves a request itself. Each worker is a complete node on the Redis engine with its own
// leased node id, so workers are to each other what the nodes of a cluster are: a publication on
// one reaches subscribers on all, `/stats` and the admin API list every worker, a client cut by a
// dying worker resumes on any other. See docs/cluster.md "Several workers on one host".
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../app/config-schema.js';
import { primaryMetrics } from '../ops/worker-metrics.js';

/** Worker → primary: the worker's server is listening (sent once per worker process). */
export interface ListeningMessage {
  sb: 'listening';
  url: string;
  nodeId: number;
}

/** Primary → worker: drain and exit (SIGTERM/SIGINT to the primary), or reload TLS (SIGHUP). */
export interface ControlMessage {
  sb: 'shutdown' | 'reload-tls';
}

/** How many worker processes `workers` asks for. */
export function workerCount(workers: Config['workers']): number {
  return workers === 'auto' ? availableParallelism() : workers;
}

// A worker that dies soon after it came up is likely to die again the same way (a bad host, Redis
// refusing it): restart it after a growing pause instead of in a tight loop that floods the log.
const QUICK_DEATH_MS = 10_000;
const FIRST_RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
// After the workers' own shutdown budget, the primary waits this much longer before killing them.
const PRIMARY_GRACE_MS = 3000;

interface Slot {
  worker: Worker;
  startedAt: number;
  listening: boolean;
  restartDelayMs: number;
}

/**
 * Forks `count` workers and keeps them running until SIGTERM/SIGINT, which drains all of them
 * (each closes its clients with 1012, as one node does). Resolves to the process exit code.
 */
export function superviseWorkers(config: Config, logger: Logger, count: number): Promise<number> {
  // The workers re-run this very command line (cluster.fork's default), so they load the same
  // config from the same file, environment and flags; serve.ts sees cluster.isWorker there.
  const slots = new Map<number, Slot>();
  let stopping = false;
  let failed = false;
  let announced = false;
  let restarts = 0;
  const onMetricsMessage = primaryMetrics();

  return new Promise<number>((resolve) => {
    let killTimer: NodeJS.Timeout | undefined;
    const finishIfDone = () => {
      if (stopping && slots.size === 0) {
        clearTimeout(killTimer);
        logger.info({ restarts }, 'all workers stopped');
        resolve(failed ? 1 : 0);
      }
    };

    const fork = (index: number, restartDelayMs: number) => {
      const worker = cluster.fork();
      const slot: Slot = { worker, startedAt: Date.now(), listening: false, restartDelayMs };
      slots.set(index, slot);
      worker.on('message', (msg: Partial<ListeningMessage>) => {
        onMetricsMessage(worker, msg);
        if (msg?.sb !== 'listening') return;
        slot.listening = true;
        // A worker still starting when the shutdown began had no listener for that word yet: now
        // that it listens (and listens for words), tell it again, or it would run until killed.
        if (stopping) {
          send(worker, { sb: 'shutdown' });
          return;
        }
        logger.info(
          { worker: worker.id, index, worker_pid: worker.process.pid, node_id: msg.nodeId },
          'worker listening',
        );
        if (!announced && [...slots.values()].every((s) => s.listening) && slots.size === count) {
          announced = true;
          logger.info({ url: msg.url, workers: count }, 'switchboard workers listening');
        }
      });
      worker.on('exit', (code, signal) => {
        if (slots.get(index)?.worker !== worker) return;
        slots.delete(index);
        if (stopping) {
          if (code !== 0) failed = true;
          finishIfDone();
          return;
        }
        if (!announced) {
          // The first generation never came up (Redis unreachable, port taken): restarting would
          // only repeat that, so stop the others and report it.
          logger.fatal({ worker: worker.id, code, signal }, 'a worker failed to start; stopping');
          failed = true;
          stop();
          return;
        }
        const quick = Date.now() - slot.startedAt < QUICK_DEATH_MS;
        const delay = quick
          ? Math.min(MAX_RESTART_DELAY_MS, slot.restartDelayMs || FIRST_RESTART_DELAY_MS)
          : 0;
        restarts++;
        logger.error(
          {
            worker: worker.id,
            index,
            worker_pid: worker.process.pid,
            code,
            signal,
            restart_in_ms: delay,
            restarts,
          },
          'worker died; restarting it',
        );
        setTimeout(() => {
          if (!stopping) fork(index, quick ? delay * 2 : 0);
        }, delay);
      });
    };

    const stop = () => {
      stopping = true;
      for (const { worker } of slots.values()) send(worker, { sb: 'shutdown' });
      const budget = config.limits.shutdown_timeout_ms + PRIMARY_GRACE_MS;
      killTimer = setTimeout(() => {
        logger.error({ timeout_ms: budget, left: slots.size }, 'workers did not stop in time; killing them');
        failed = true;
        for (const { worker } of slots.values()) worker.process.kill('SIGKILL');
      }, budget);
      finishIfDone();
    };

    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C means "now", as it does for a single process.
        logger.warn({ signal }, 'second signal, killing the workers');
        failed = true;
        for (const { worker } of slots.values()) worker.process.kill('SIGKILL');
        return;
      }
      logger.info({ signal, workers: slots.size }, 'shutting down the workers');
      stop();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', () => {
      if (stopping) return;
      logger.info({ signal: 'SIGHUP' }, 'asking the workers to reload the tls certificate');
      for (const { worker } of slots.values()) send(worker, { sb: 'reload-tls' });
    });

    logger.info({ workers: count }, 'starting workers');
    for (let i = 0; i < count; i++) fork(i, 0);
  });
}

function send(worker: Worker, msg: ControlMessage): void {
  // A worker that is exiting may have closed its channel already; its exit is handled above.
  if (worker.isConnected()) worker.send(msg, (err: Error | null) => void err);
}
