/**
 * The `cache_miss` webhook (docs/protocol/pusher.md, "Cache channels"): a subscriber of a `cache-`
 * channel found it empty, so the backend may publish the current state. Every subscriber gets
 * `pusher:cache_miss`, but the backend hears of a channel at most once per
 * `cache_miss_webhook_interval_ms` across the cluster (Pusher de-duplicates too): otherwise a
 * crowd subscribing to an empty channel would be one webhook each. The once-claim is the
 * engine's, so it holds across nodes; the node first checks its own recent misses, so a crowd
 * costs the engine one claim per channel and interval.
 */
import type { Hub } from '../../core/hub.js';
import { countLimit } from '../../core/limit-counters.js';
import type { WebhookSender } from './webhooks.js';

export const CACHE_MISS_LIMIT = 'pusher.cache_miss_webhook_interval_ms';

export class CacheMissWebhooks {
  /** Channel → when this node last reported it, oldest first (Map keeps insertion order). */
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly hub: Hub,
    private readonly namespace: string,
    private readonly webhooks: WebhookSender,
    private readonly intervalMs: number,
    /** Channels remembered at most: as many events as the webhook queue holds. */
    private readonly maxTracked: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** `channel` was empty for a subscriber. */
  async miss(channel: string): Promise<void> {
    const now = this.now();
    this.forgetBefore(now - this.intervalMs);
    if (this.recent.has(channel) || this.recent.size >= this.maxTracked) {
      countLimit(CACHE_MISS_LIMIT);
      return;
    }
    this.recent.set(channel, now);
    let first = true;
    try {
      first = await this.hub.claimOnce(this.namespace, `pusher:cache_miss:${channel}`, this.intervalMs);
    } catch {
      // The engine cannot say whether another node reported it: report it (a backend may get two
      // during an outage rather than none).
    }
    if (first) this.webhooks.add({ name: 'cache_miss', channel });
    else countLimit(CACHE_MISS_LIMIT);
  }

  private forgetBefore(cutoff: number): void {
    for (const [channel, at] of this.recent) {
      if (at > cutoff) return;
      this.recent.delete(channel);
    }
  }
}
