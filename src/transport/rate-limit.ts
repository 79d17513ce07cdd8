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

/** A bucket's state when nothing was taken yet: full, whatever the clock says. */
export const FULL = Number.NEGATIVE_INFINITY;

/**
 * The arithmetic of a token bucket, shared by every bucket of one size: a bucket's whole state is
 * one number, the time at which it is full again (the "theoretical arrival time" of the generic
 * cell rate algorithm), so a per-connection bucket costs one field instead of an object with its
 * own copy of the rate, the burst and the clock. A take is allowed while the bucket would still
 * hold a whole token, i.e. while that time is at most (burst − 1) refill intervals ahead.
 */
export class RateRule {
  /** Milliseconds one token takes to come back. */
  private readonly intervalMs: number;
  /** How far ahead of now the full-again time may be for a take to be allowed. */
  private readonly slackMs: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSec > 0) || !(options.burst >= 1)) {
      throw new RangeError('TokenBucket needs ratePerSec > 0 and burst >= 1');
    }
    this.intervalMs = 1000 / options.ratePerSec;
    this.burst = options.burst;
    this.slackMs = (options.burst - 1) * this.intervalMs;
    this.now = options.now ?? defaultNow;
  }

  /**
   * Spend one token of the bucket whose full-again time is `fullAt` (FULL for a new one): its new
   * full-again time, or NaN when it is empty (the caller is over the rate; the state is unchanged).
   * A bucket never full again before "now" cannot be made fuller by a clock that steps back (never
   * the case with performance.now); a full one stays full.
   */
  take(fullAt: number): number {
    const t = this.now();
    const from = Math.max(fullAt, t);
    if (from - t > this.slackMs) return Number.NaN;
    return from + this.intervalMs;
  }

  /** Whole tokens in the bucket whose full-again time is `fullAt`. */
  available(fullAt: number): number {
    const ahead = fullAt - this.now();
    return ahead <= 0 ? this.burst : Math.floor(this.burst - ahead / this.intervalMs + 1e-9);
  }
}

/** One rule per shared rate object (a config section), never one per connection. */
export function ruleFor<K extends object>(
  cache: WeakMap<K, RateRule>,
  key: K,
  options: (key: K) => TokenBucketOptions,
): RateRule {
  let rule = cache.get(key);
  if (rule === undefined) {
    rule = new RateRule(options(key));
    cache.set(key, rule);
  }
  return rule;
}

/**
 * A token bucket: `take()` succeeds while tokens remain and the bucket refills continuously at
 * `ratePerSec` up to `burst`. It starts full. Refill is computed lazily from the clock on each
 * call, so an idle bucket costs nothing (no timers), which matters with one bucket per connection.
 * Given a shared RateRule, a bucket is that pointer and one number.
 *
 * Dialects may adopt one per connection to answer mild excess with their own error shape; the
 * listener keeps a generic one per connection as the hard backstop (see limits.ts).
 */
export class TokenBucket {
  private fullAt = FULL;
  private readonly rule: RateRule;

  constructor(options: TokenBucketOptions | RateRule) {
    this.rule = options instanceof RateRule ? options : new RateRule(options);
  }

  /** Spend one token: true if there was one, false if the caller is over the rate. */
  take(): boolean {
    const next = this.rule.take(this.fullAt);
    if (Number.isNaN(next)) return false;
    this.fullAt = next;
    return true;
  }

  /** Whole tokens available right now (for logs and tests). */
  get available(): number {
    return this.rule.available(this.fullAt);
  }
}
