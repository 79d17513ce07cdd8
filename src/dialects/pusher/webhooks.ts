// Pusher webhooks (docs/protocol/pusher.md, "Webhooks"): events of one app are batched for
// `webhook_batch_ms`, POSTed as `{"time_ms", "events": [...]}` signed with `X-Pusher-Key` and
// `X-Pusher-Signature` (HMAC-SHA256-hex of the body with the app secret), and retried with
// exponential back-off for `webhook_retry_ms`. Each event is produced by exactly one node of a
// cluster (the one that saw the transition, or the survivor that removed a dead node's members),
// so the cluster sends it once per URL.
import type { Logger } from 'pino';
import type { JsonValue } from '../../core/types.js';
import type { PusherConfig } from './config.js';
import { sign } from './signing.js';

export type WebhookEvent =
  | { name: 'channel_occupied' | 'channel_vacated' | 'cache_miss'; channel: string }
  | { name: 'member_added' | 'member_removed'; channel: string; user_id: string }
  | {
      name: 'client_event';
      channel: string;
      event: string;
      data: string;
      socket_id: string;
      user_id?: string;
    };

/** First retry after this long, doubling up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** One request may take this long before it counts as failed. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface WebhookCounters {
  sent: number;
  failed: number;
  dropped: number;
}

/** Counted for every app of the node; shown by the ops metrics as dialect `pusher` errors. */
export const webhookCounters: WebhookCounters = { sent: 0, failed: 0, dropped: 0 };

interface Target {
  url: string;
  types: Set<string>;
  queue: WebhookEvent[];
  timer: NodeJS.Timeout | undefined;
  /** A request (with its retries) is under way: new events wait for the next batch. */
  busy: boolean;
}

/** The webhooks of one app on this node. */
export class WebhookSender {
  private readonly targets: Target[];
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly config: PusherConfig,
    private readonly logger: Logger,
    private readonly onError?: (code: string) => void,
  ) {
    this.targets = config.webhooks.map((w) => ({
      url: w.url,
      types: new Set(w.event_types),
      queue: [],
      timer: undefined,
      busy: false,
    }));
  }

  /** Does any URL of the app want events of this kind? (Callers skip the work otherwise.) */
  wants(name: WebhookEvent['name']): boolean {
    return this.targets.some((t) => t.types.has(name));
  }

  add(event: WebhookEvent): void {
    if (this.closed) return;
    for (const t of this.targets) {
      if (!t.types.has(event.name)) continue;
      t.queue.push(event);
      if (t.queue.length > this.config.webhook_queue_size) {
        t.queue.shift();
        webhookCounters.dropped++;
        this.onError?.('webhook_dropped');
      }
      this.schedule(t);
    }
  }

  private schedule(t: Target): void {
    if (t.timer !== undefined || t.busy) return;
    t.timer = setTimeout(() => {
      t.timer = undefined;
      this.track(this.flush(t));
    }, this.config.webhook_batch_ms);
    t.timer.unref();
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async flush(t: Target): Promise<void> {
    if (t.queue.length === 0) return;
    t.busy = true;
    const events = t.queue.splice(0, t.queue.length);
    const body = JSON.stringify({ time_ms: Date.now(), events });
    const deadline = Date.now() + this.config.webhook_retry_ms;
    let wait = FIRST_BACKOFF_MS;
    try {
      for (;;) {
        const problem = await this.post(t.url, body);
        if (problem === undefined) {
          webhookCounters.sent++;
          return;
        }
        webhookCounters.failed++;
        this.onError?.('webhook_failed');
        if (this.closed || Date.now() + wait > deadline) {
          webhookCounters.dropped += events.length;
          this.logger.warn(
            { url: t.url, events: events.length, problem },
            'pusher webhook dropped after retries',
          );
          return;
        }
        this.logger.info({ url: t.url, problem, retry_ms: wait }, 'pusher webhook failed, retrying');
        await new Promise((r) => setTimeout(r, wait).unref());
        wait = Math.min(wait * 2, MAX_BACKOFF_MS);
      }
    } finally {
      t.busy = false;
      if (t.queue.length > 0) this.schedule(t);
    }
  }

  /** One POST; undefined when the receiver answered 2xx, else why not. */
  private async post(url: string, body: string): Promise<string | undefined> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-pusher-key': this.config.key,
          'x-pusher-signature': sign(this.config.secret, body),
        },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  /** Send what is batched now (one attempt each) and stop. */
  async close(): Promise<void> {
    for (const t of this.targets) {
      if (t.timer !== undefined) clearTimeout(t.timer);
      t.timer = undefined;
      if (!t.busy) this.track(this.flush(t));
    }
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }
}

/** The `client_event` webhook's data: the event's data as the text clients saw. */
export function clientEventData(data: JsonValue): string {
  return typeof data === 'string' ? data : JSON.stringify(data);
}
