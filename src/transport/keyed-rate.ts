import { TokenBucket } from './rate-limit.js';

/** Keys tracked at most; past it the least recently used key is forgotten (it starts full again). */
const MAX_KEYS = 10_000;

/**
 * One token bucket per key (a client address): `perMinute` takes a minute, all of them allowed
 * back to back. The map is bounded (MAX_KEYS, least recently used forgotten first) so that many
 * addresses cannot grow it without limit.
 */
export class KeyedRate {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly perMinute: number,
    private readonly now?: () => number,
  ) {}

  take(key: string): boolean {
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key); // re-inserted below: Map order is the use order
    } else {
      bucket = new TokenBucket({ ratePerSec: this.perMinute / 60, burst: this.perMinute, now: this.now });
      if (this.buckets.size >= MAX_KEYS) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, bucket);
    return bucket.take();
  }

  /** Keys tracked right now (tests). */
  get size(): number {
    return this.buckets.size;
  }
}
