import { isTimeout, publishExpired, publishTimedOut, unavailable } from './errors.js';
import { redisStats } from './redis-stats.js';

/** What one publication sends to Redis (publish.lua's KEYS and ARGV, minus the shared ones). */
export interface PublishArgs {
  ordKey: string;
  historyKey: string;
  channelsKey: string;
  cutKey: string;
  body: string;
  head: string;
  historySize: number;
  channel: string;
  channelTopic: string;
  namespaceTopic: string;
}

export type PublishOutcome =
  | { ord: number; time: number; receivers: number }
  | { expired: true }
  | { error: string };

/** How publications reach Redis: one script call for one, one script call for several. */
export interface PublishRunner {
  one(args: PublishArgs, deadline: number): Promise<PublishOutcome>;
  many(items: { args: PublishArgs; deadline: number }[]): Promise<PublishOutcome[]>;
}

export interface BatcherOptions {
  /** Publications in one script call at most; 1 turns batching off (one call per publication). */
  max: number;
  /** The caller is answered "not published" this long after it asked (engine.command_timeout_ms). */
  timeoutMs: number;
  /** Redis' clock now, ms, as this node estimates it (RedisClock). */
  redisNow(): number;
}

/**
 * Script calls in flight at once. Two keep Redis busy: the next batch gathers (and travels) while
 * the previous one runs, instead of Redis idling during every round trip. One connection runs its
 * commands in the order sent, so the order of calls is still the order of publications.
 */
const MAX_IN_FLIGHT = 2;
/** A queue at least this long, with nothing in flight, is sent as two calls (see flush). */
const SPLIT_FROM = 8;

interface Item {
  args: PublishArgs;
  deadline: number;
  settled: boolean;
  timer: NodeJS.Timeout;
  resolve(reply: { ord: number; time: number; receivers: number }): void;
  reject(err: Error): void;
}

/**
 * Every publication of a node goes through here on its way to Redis, for two reasons.
 *
 * A deadline. Each publication is answered "not published" `timeoutMs` after it was asked for,
 * whatever Redis does, and carries a deadline on Redis' clock that the script checks before
 * anything else: a script Redis only gets to later (a hung or SIGSTOPped server that resumes)
 * does nothing. The deadline is `margin` before the caller's timeout, so a script that does start
 * in time has that margin to get its answer back before the caller gives up.
 *
 * Batching. While script calls are in flight (at most MAX_IN_FLIGHT), the publications that arrive
 * queue here; when one returns, everything queued (up to `max`) goes in the next call, so a busy node makes one call
 * per round trip instead of one per publication, and Redis pays the call's fixed cost once. A
 * publication that finds nothing in flight is sent in the same event-loop turn (after the
 * current microtasks, so publications made together in one turn travel together): nothing is held
 * at a low rate. Call order is kept (one queue, one connection that runs calls in the order sent), so
 * per-channel order is the order of the calls. With `max` 1 there is no queue at all: every publication is its own script
 * call at once, pipelined on the connection as before batching existed.
 */
export class PublishBatcher {
  private readonly queue: Item[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly marginMs: number;

  constructor(
    private readonly runner: PublishRunner,
    private readonly o: BatcherOptions,
  ) {
    this.marginMs = Math.min(250, Math.floor(o.timeoutMs / 4));
  }

  submit(args: PublishArgs): Promise<{ ord: number; time: number; receivers: number }> {
    return new Promise((resolve, reject) => {
      const item: Item = {
        args,
        deadline: Math.floor(this.o.redisNow() + this.o.timeoutMs - this.marginMs),
        settled: false,
        // setImmediate: a reply already read in this loop iteration settles the item first (a
        // node that was busy past the deadline must not report "not published" for one that was).
        timer: setTimeout(
          () => setImmediate(() => this.settle(item, publishTimedOut(this.o.timeoutMs))),
          this.o.timeoutMs,
        ),
        resolve,
        reject,
      };
      if (this.o.max <= 1) {
        this.send([item]);
        return;
      }
      this.queue.push(item);
      if (this.inFlight < MAX_IN_FLIGHT && !this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      // With nothing in flight, a large queue goes as two halves, both sent now: Redis runs the
      // second while this node handles the first one's answers, instead of each waiting for the
      // other (publishers that resubmit together would otherwise always form one batch).
      const size =
        this.inFlight === 0 && this.queue.length >= SPLIT_FROM
          ? Math.min(this.o.max, Math.ceil(this.queue.length / 2))
          : this.o.max;
      const batch: Item[] = [];
      while (this.queue.length > 0 && batch.length < size) {
        const item = this.queue.shift() as Item;
        if (!item.settled) batch.push(item); // timed out while queued: never sent
      }
      if (batch.length === 0) return;
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.flush();
      });
    }
  }

  private async send(batch: Item[]): Promise<void> {
    redisStats.publishCalls++;
    redisStats.publications += batch.length;
    try {
      const outcomes =
        batch.length === 1
          ? [await this.runner.one(batch[0]!.args, batch[0]!.deadline)]
          : await this.runner.many(batch.map((i) => ({ args: i.args, deadline: i.deadline })));
      for (const [i, item] of batch.entries()) this.settle(item, outcomes[i] ?? { error: 'no reply for it' });
    } catch (err) {
      for (const item of batch) {
        // The call's own command timeout may fire just before the item's: same meaning.
        this.settle(item, isTimeout(err) ? publishTimedOut(this.o.timeoutMs) : unavailable('publish', err));
      }
    }
  }

  private settle(item: Item, outcome: PublishOutcome | Error): void {
    if (item.settled) return;
    item.settled = true;
    clearTimeout(item.timer);
    if (outcome instanceof Error) item.reject(outcome);
    else if ('expired' in outcome) item.reject(publishExpired());
    else if ('error' in outcome) item.reject(unavailable('publish', new Error(outcome.error)));
    else item.resolve(outcome);
  }
}
