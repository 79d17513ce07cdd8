// `/metrics` under `serve --workers N`. The primary hands each connection to some worker, so a
// scrape of the shared port lands on any one of them; answering with that worker's figures alone
// would make every series jump between workers from scrape to scrape. Instead the worker that took
// the scrape asks the primary, which collects every worker's registry as JSON and merges them with
// prom-client's AggregatorRegistry. Every series carries its worker's `node` label, so nothing is
// summed away: one scrape reads like scraping each worker separately.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { OpsMetrics } from './metrics.js';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Worker → primary: a scrape wants every worker's metrics (answered with `text` or `error`). */
interface ScrapeRequest {
  sb: 'metrics-scrape';
  id: number;
}
interface ScrapeAnswer {
  sb: 'metrics-scrape';
  id: number;
  text?: string;
  error?: string;
}
/** Primary → worker: send your registry as JSON (answered with `metrics` or `error`). */
interface CollectRequest {
  sb: 'metrics-collect';
  id: number;
}
interface CollectAnswer {
  sb: 'metrics-collect';
  id: number;
  metrics?: MetricsJson;
  error?: string;
}

interface Collecting {
  left: number;
  got: MetricsJson[];
  done: () => void;
}

/** How long the primary waits for the workers, and a worker for the primary. */
const COLLECT_TIMEOUT_MS = 5000;

/**
 * In a worker: answer the primary's collect requests from `metrics`, and return the render used
 * by `/metrics` (every worker's figures through the primary).
 */
export function workerMetricsRender(metrics: OpsMetrics): () => Promise<string> {
  process.on('message', (msg: Partial<CollectRequest>) => {
    if (msg?.sb !== 'metrics-collect' || typeof msg.id !== 'number') return;
    const id = msg.id;
    metrics.json().then(
      (json) => reply({ sb: 'metrics-collect', id, metrics: json }),
      (err: unknown) => reply({ sb: 'metrics-collect', id, error: String(err) }),
    );
  });
  const pending = new Map<number, (answer: ScrapeAnswer) => void>();
  process.on('message', (msg: Partial<ScrapeAnswer>) => {
    if (msg?.sb !== 'metrics-scrape' || typeof msg.id !== 'number') return;
    pending.get(msg.id)?.(msg as ScrapeAnswer);
  });
  let next = 0;
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the primary process did not answer the metrics request'));
      }, COLLECT_TIMEOUT_MS * 2);
      pending.set(id, (answer) => {
        clearTimeout(timer);
        pending.delete(id);
        if (answer.text !== undefined) resolve(answer.text);
        else reject(new Error(answer.error ?? 'no metrics'));
      });
      reply({ sb: 'metrics-scrape', id } satisfies ScrapeRequest);
    });
}

function reply(msg: ScrapeRequest | CollectAnswer): void {
  // The channel is gone only while this worker exits; the scrape then fails with a timeout.
  if (process.connected) process.send?.(msg, undefined, undefined, (err: Error | null) => void err);
}

/** In the primary: answer a worker's scrape request with every live worker's metrics merged. */
export function primaryMetrics(): (worker: Worker, msg: unknown) => void {
  let next = 0;
  const collecting = new Map<number, Collecting>();
  cluster.on('message', (_worker, msg: Partial<CollectAnswer>) => {
    if (msg?.sb !== 'metrics-collect' || typeof msg.id !== 'number') return;
    const c = collecting.get(msg.id);
    if (!c) return;
    if (msg.metrics) c.got.push(msg.metrics);
    if (--c.left === 0) c.done();
  });

  const collect = (): Promise<MetricsJson[]> =>
    new Promise((resolve) => {
      const id = next++;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w?.isConnected());
      const c: Collecting = { left: workers.length, got: [], done: () => {} };
      // A worker that does not answer in time (busy, exiting) is left out rather than failing
      // the whole scrape; its series are then missing from this one scrape.
      const timer = setTimeout(() => c.done(), COLLECT_TIMEOUT_MS);
      c.done = () => {
        clearTimeout(timer);
        collecting.delete(id);
        resolve(c.got);
      };
      collecting.set(id, c);
      if (workers.length === 0) c.done();
      for (const w of workers) w.send({ sb: 'metrics-collect', id } satisfies CollectRequest);
    });

  return (worker, raw) => {
    const msg = raw as Partial<ScrapeRequest>;
    if (msg?.sb !== 'metrics-scrape' || typeof msg.id !== 'number') return;
    const id = msg.id;
    const answer = (a: ScrapeAnswer) => {
      if (worker.isConnected()) worker.send(a, (err: Error | null) => void err);
    };
    collect()
      .then((all) => AggregatorRegistry.aggregate(all).metrics())
      .then(
        (text) => answer({ sb: 'metrics-scrape', id, text }),
        (err: unknown) => answer({ sb: 'metrics-scrape', id, error: String(err) }),
      );
  };
}
