/**
 * Keys claimed once each until they expire: the memory engine's `claimOnce` (and the hub's
 * fallback for engines without one). Expired keys are dropped by a sweep that runs at most once a
 * second, from `claim` itself, so memory stays bounded by the keys claimed within their TTLs and
 * no timer keeps the process alive.
 */
export class OnceSet {
  private readonly expiries = new Map<string, number>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** True the first time `key` is claimed within `ttlMs`; false while an earlier claim lives. */
  claim(key: string, ttlMs: number): boolean {
    const now = this.now();
    if (now - this.lastSweep >= 1000) this.sweep(now);
    const expiry = this.expiries.get(key);
    if (expiry !== undefined && expiry > now) return false;
    this.expiries.set(key, now + Math.max(1, ttlMs));
    return true;
  }

  /** Keys currently remembered (expired ones included until the next sweep). */
  get size(): number {
    return this.expiries.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(key);
  }
}
