import { FULL, type RateRule, ruleFor } from '../../transport/rate-limit.js';

/** Requests per second, and how many may come back to back, before they are answered "slow down". */
export interface RequestRate {
  perSecond: number;
  burst: number;
}

/** One bucket rule per configured rate, shared by every connection's inbox. */
const rules = new WeakMap<RequestRate, RateRule>();
const bucketOf = (rate: RequestRate) => ({ ratePerSec: rate.perSecond, burst: rate.burst });

/**
 * Instead of refusing past `maxPending`: stop reading the socket at `maxPending` waiting (TCP
 * then pushes back on the sender) and read again once the backlog is down to `resumeAt`. For
 * senders whose every frame must be handled (a trusted backend, a chat or gateway client).
 */
export interface Backpressure {
  resumeAt: number;
  pause(): void;
  resume(): void;
}

/**
 * The one bounded serial inbox of every dialect session: a connection's inbound frames are
 * handled one at a time in the order sent (so answers come back in request order, and what a
 * client does happens in the order it did it, whatever each step awaits). Bounded either way:
 * past `maxPending` waiting a frame is refused at once (push returns false and the dialect answers
 * in its own shape), or, with `backpressure`, the socket is no longer read until the backlog
 * drains. With a `rate`, a frame past it is still queued (its refusal keeps its place in the
 * answer order) but runs as rate-limited; the listener's backstop closes a connection (1008)
 * only well past the rate.
 *
 * Nothing is allocated until the first frame: an idle connection holds only this object, or
 * none when the session creates it lazily.
 */
export class SerialInbox {
  /** The last frame's chain while frames are waiting; dropped once all are handled. */
  private tail: Promise<void> | undefined;
  private pending = 0;
  private paused = false;
  /** The rate's token bucket: when it is full again (rate-limit.ts), under a shared rule. */
  private fullAt = FULL;

  constructor(
    readonly maxPending: number,
    private readonly rate?: RequestRate,
    private readonly backpressure?: Backpressure,
  ) {}

  /**
   * Queue `run` behind every earlier frame; it is told whether the frame is within the rate. A
   * failure of `run` goes to `onError`. Without backpressure, returns false, queueing nothing,
   * when `maxPending` frames are already waiting.
   */
  push(run: (allowed: boolean) => void | Promise<void>, onError: (err: unknown) => void): boolean {
    if (this.pending >= this.maxPending && !this.backpressure) return false;
    let allowed = true;
    const rate = this.rate;
    if (rate) {
      const next = ruleFor(rules, rate, bucketOf).take(this.fullAt);
      allowed = !Number.isNaN(next);
      if (allowed) this.fullAt = next;
    }
    if (++this.pending === this.maxPending && this.backpressure && !this.paused) {
      this.paused = true;
      this.backpressure.pause();
    }
    this.tail = (this.tail ?? Promise.resolve())
      .then(() => run(allowed))
      .catch(onError)
      .finally(() => this.done());
    return true;
  }

  private done(): void {
    // Nothing waits behind this frame: the next one starts a fresh chain, and an idle connection
    // does not keep a settled promise (48 B and its reactions) for as long as it lives.
    if (--this.pending === 0) this.tail = undefined;
    if (this.paused && this.pending <= this.backpressure!.resumeAt) {
      this.paused = false;
      this.backpressure!.resume();
    }
  }
}
