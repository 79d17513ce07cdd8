/**
 * Write coalescing. A fan-out writes a small frame to each client socket; uncorked, every one is
 * its own `writev` syscall (≈ 5 µs of kernel time on loopback — 76% of the server's time in the
 * fan-out profile, docs/benchmarks.md). Held corked and released together, everything written to
 * a socket meanwhile leaves in one `writev`. Two holds:
 *
 * - **Per turn** (always). The release runs on `process.nextTick`: after the current macrotask's
 *   synchronous code and the microtasks it queued (a whole awaited publish loop), before any I/O
 *   or timer. A lone message leaves in the same turn it was written in: no added latency.
 * - **Across turns** (fan-out deliveries only, when hot). Publications that arrive one I/O event
 *   apart — a publisher that waits for each publish, each round trip through Redis its own turn —
 *   cannot coalesce within a turn. When the previous release was less than the window ago
 *   (`limits.write_coalesce_ms`), deliveries are held until a timer one window later, so a socket
 *   gets at most one write per window however fast they come. At a low rate (releases further
 *   apart than the window) nothing is held: the first delivery after a quiet spell leaves at once.
 *   Replies and errors are never held across turns: a socket holding deliveries that gets one is
 *   released at the end of that turn, deliveries first — so a request/response client is never
 *   slowed to one answer per window.
 *
 * Cork is counted by Node's Writable, so `ws`'s own cork/write/write/uncork of a frame nests inside
 * and cannot flush early; order within a socket is the order of the writes (one stream, one
 * buffer), whichever path wrote them.
 */

/** A socket's hold state, kept by the socket and read by the batcher at release. */
export const Hold = { none: 0, turn: 1, window: 2 } as const;
export type Hold = (typeof Hold)[keyof typeof Hold];

/** What the batcher holds: a socket side that knows whether (and how) it is held. */
export interface Holdable {
  /** Read at release time: only a socket still held the way the list was made for is released. */
  hold: Hold;
  /** Called when the hold that took it ends (end of turn, or the window's timer). */
  releaseCork(): void;
}

/**
 * The sockets of one hold, and a spare list. A release takes the list and leaves the spare in its
 * place: an uncork can run write callbacks that write (and hold) again; they land on the fresh
 * list, never on the one being walked.
 */
class HoldList {
  held: Holdable[] = [];
  private spare: Holdable[] = [];

  take(): Holdable[] {
    const list = this.held;
    this.held = this.spare;
    this.spare = list;
    return list;
  }
}

/** Sockets written out, by hold (only grows): deliveries ÷ these is the coalescing ratio. */
export interface BatcherCounters {
  turnFlushes: number;
  windowFlushes: number;
}

/**
 * The holds of one listener's sockets (each listener has its own: two servers in one process
 * never release, time or count each other's writes). Its callbacks are bound once, here.
 */
export class WriteBatcher {
  /** Sockets written out, by hold: each is one write to the kernel for what it got in a turn or a window. */
  readonly counters: BatcherCounters = { turnFlushes: 0, windowFlushes: 0 };

  private readonly turn = new HoldList();
  private turnScheduled = false;

  private readonly window = new HoldList();
  private windowTimer: NodeJS.Timeout | null = null;
  /** A window hold began this turn; its timer starts when the turn ends (armWindow). */
  private armPending = false;
  private armWindowMs = 0;

  /** When the last release finished (ms, monotonic); the hot test compares against it. */
  private lastReleaseAt = Number.NEGATIVE_INFINITY;

  /** `clock`: tests drive the hot test with a fake one. */
  constructor(private readonly clock: () => number = () => performance.now()) {}

  /**
   * Release every socket of `list` still held as `hold`, then empty the list. Only those still held
   * so: a socket promoted from the window to the turn hold was released by that turn (and may be
   * held again now), and a socket can appear twice in a window list (held, promoted, released, held
   * again), its first entry releasing it. The clock is read after the writes: a release of a large
   * fan-out is itself milliseconds of syscalls, and what arrives while it runs is as much "faster
   * than the window" as what arrives right after.
   */
  private release(list: Holdable[], hold: Hold): void {
    let released = 0;
    for (let i = 0; i < list.length; i++) {
      const target = list[i]!;
      if (target.hold === hold) {
        target.releaseCork();
        released++;
      }
    }
    list.length = 0;
    if (hold === Hold.turn) this.counters.turnFlushes += released;
    else this.counters.windowFlushes += released;
    this.lastReleaseAt = this.clock();
  }

  private readonly releaseTurn = (): void => {
    this.turnScheduled = false;
    this.release(this.turn.take(), Hold.turn);
  };

  private readonly releaseWindow = (): void => {
    this.windowTimer = null;
    this.release(this.window.take(), Hold.window);
  };

  /**
   * Starts the window's timer at the end of the turn that first held for it: the window is counted
   * from when the turn's writes are done, not from its first write (a fan-out to thousands of
   * sockets is itself about a millisecond of JavaScript, which would use the window up).
   */
  private readonly armWindow = (): void => {
    this.armPending = false;
    // Not unref'd: a process must not exit with frames still held.
    this.windowTimer = setTimeout(this.releaseWindow, this.armWindowMs);
  };

  /** Hold `target` (corked by the caller, `hold` set to `Hold.turn`) until the end of this turn. */
  holdForTurn(target: Holdable): void {
    this.turn.held.push(target);
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      queueMicrotask(this.scheduleTurnRelease);
    }
  }

  /**
   * The turn's release is queued from a microtask, not straight away: Node runs the ticks queued
   * by a callback before that callback's promise continuations (an I/O or timer callback that
   * queued a tick, or one running as a tick itself, as IPC messages do), so a tick queued by the
   * first publication of an awaited publish loop would release after that publication alone, and
   * each socket would get two writes per burst. A tick queued from a microtask runs only once the
   * microtask queue is empty, i.e. after the whole loop.
   */
  private readonly scheduleTurnRelease = (): void => {
    process.nextTick(this.releaseTurn);
  };

  /**
   * Whether a delivery written now should be held across turns: a window is set and the last
   * release was less than one window ago, or a window hold is already running.
   */
  holdAcrossTurns(windowMs: number): boolean {
    if (windowMs <= 0) return false;
    // Decided once per turn, not per socket (a fan-out asks for each of its sockets): a running
    // window hold takes every delivery; a turn that already holds sockets for its own end has
    // decided not to wait. Only the first socket of a turn reads the clock.
    if (this.windowTimer !== null || this.armPending) return true;
    if (this.turnScheduled) return false;
    return this.clock() - this.lastReleaseAt < windowMs;
  }

  /** Hold `target` (corked by the caller, `hold` set to `Hold.window`) until the window ends. */
  holdForWindow(target: Holdable, windowMs: number): void {
    this.window.held.push(target);
    if (this.windowTimer === null && !this.armPending) {
      this.armPending = true;
      this.armWindowMs = windowMs;
      process.nextTick(this.armWindow);
    }
  }
}
