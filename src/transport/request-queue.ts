import { TokenBucket } from './rate-limit.js';

/** Requests per second, and how many may come back to back, before they are answered "slow down". */
export interface RequestRate {
  perSecond: number;
  burst: number;
}

/**
 * One connection's inbound requests, answered one at a time in the order sent (so answers come
 * back in request order, whatever each one awaits). Two bounds, both answered in the dialect's
 * own shape by the caller rather than by closing the connection: past `maxPending` waiting, a
 * request is refused at once instead of queueing without bound; past the rate, it is still queued
 * (its refusal keeps its place in the answer order) but runs as rate-limited. The listener's
 * backstop closes a connection (1008) only well past the rate.
 *
 * Nothing is allocated until the first request: an idle connection holds only this object, or
 * none when the session creates it lazily.
 */
export class RequestQueue {
  private tail: Promise<void> | undefined;
  private pending = 0;
  /** Created on the first request: a bucket starts full, so an eager one would allow the same. */
  private bucket: TokenBucket | undefined;

  constructor(
    private readonly rate: RequestRate,
    readonly maxPending: number,
  ) {}

  /**
   * Queue `run` behind every earlier request; it is told whether the request is within the rate.
   * A failure of `run` goes to `onError`. Returns false, queueing nothing, when `maxPending`
   * requests are already waiting.
   */
  push(run: (allowed: boolean) => void | Promise<void>, onError: (err: unknown) => void): boolean {
    if (this.pending >= this.maxPending) return false;
    this.bucket ??= new TokenBucket({ ratePerSec: this.rate.perSecond, burst: this.rate.burst });
    const allowed = this.bucket.take();
    this.pending++;
    this.tail = (this.tail ?? Promise.resolve())
      .then(() => run(allowed))
      .catch(onError)
      .finally(() => {
        this.pending--;
      });
    return true;
  }
}
