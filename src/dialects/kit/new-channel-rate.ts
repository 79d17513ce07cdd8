/**
 * How fast one connection may give new channels history (`namespaces.N.max_new_channels_per_minute`):
 * rocket broadcasts and Pusher client events. `max_channels` bounds how many such channels a
 * namespace holds, but a client with credentials that publishes to ever new names still makes
 * the node list and evict channels (engine reads and deletes) at the rate it sends; this caps
 * that rate per connection. "New" is new to this node's view of the namespace: a channel this
 * node has not yet seen published to (one made through another node counts once here too).
 */
import type { ChannelBound } from '../../core/channel-bound.js';
import { countLimit } from '../../core/limit-counters.js';
import { RateRule, TokenBucket } from '../../transport/rate-limit.js';

export const NEW_CHANNELS_LIMIT = 'max_new_channels_per_minute';

export class NewChannelRate {
  private readonly rule: RateRule;
  /** One bucket per connection, dropped with it. */
  private readonly buckets = new WeakMap<object, TokenBucket>();

  constructor(
    private readonly bound: ChannelBound,
    readonly perMinute: number,
  ) {
    this.rule = new RateRule({ ratePerSec: perMinute / 60, burst: perMinute });
  }

  /**
   * Before `creator` (its connection) publishes to `channel`: the name to publish to (see
   * ChannelBound.admit), or undefined when the channel is new and the creator is over its rate.
   */
  async admit(creator: object, channel: string): Promise<string | undefined> {
    if (this.bound.known(channel) === undefined) {
      let bucket = this.buckets.get(creator);
      if (bucket === undefined) {
        bucket = new TokenBucket(this.rule);
        this.buckets.set(creator, bucket);
      }
      if (!bucket.take()) {
        countLimit(NEW_CHANNELS_LIMIT);
        return undefined;
      }
    }
    return this.bound.admit(channel);
  }

  /** The refusal's text, the same in every dialect. */
  get refusal(): string {
    return `too many new channels: at most ${this.perMinute} a minute per connection`;
  }
}
