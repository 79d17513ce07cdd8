/** How a bucket is sized: refill speed and capacity. */
export interface TokenBucketOptions {
  /** Tokens added per second (the sustained rate allowed). */
  ratePerSec: number;
  /** Capacity: how many takes may happen back to back after a quiet spell. */
  burst: number;
  /** Clock in ms; tests inject a fake one. Defaults to `performance.now`. */
  now?: () => number;
}

/** The default clock, shared by every bucket rather than a closure per bucket. */
const defaultNow = (): number => performance.now();

/**
 * A token bucket: `take()` succeeds while tokens remain and the bucket refills continuously at
 * `ratePerSec` up to `burst`. It starts full. Refill is computed lazily from the clock on each
 * call, so an idle bucket costs nothing (no timers), which matters with one bucket per connection.
 *
 * Dialects may adopt one per connection to answer mild excess with their own error shape; the
 * listener keeps a generic one per connection as the hard backstop (see limits.ts).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSec > 0) || !(options.burst >= 1)) {
      throw new RangeError('TokenBucket needs ratePerSec > 0 and burst >= 1');
    }
    this.ratePerMs = options.ratePerSec / 1000;
    this.burst = options.burst;
    this.now = options.now ?? defaultNow;
    this.tokens = options.burst;
    this.last = this.now();
  }

  /** Spend one token: true if there was one, false if the caller is over the rate. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whole tokens available right now (for logs and tests). */
  get available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  private refill(): void {
    const t = this.now();
    // A clock that steps backwards (never with performance.now, possibly with an injected one)
    // must not drain the bucket.
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerMs);
  }
}
