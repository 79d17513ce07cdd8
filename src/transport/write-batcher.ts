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

let turnList: Holdable[] = [];
let turnSpare: Holdable[] = [];
let turnScheduled = false;

let windowList: Holdable[] = [];
let windowSpare: Holdable[] = [];
let windowTimer: NodeJS.Timeout | null = null;
/** A window hold began this turn; its timer starts when the turn ends (armWindow). */
let armPending = false;
let armWindowMs = 0;

/** When the last release finished (ms, monotonic); the hot test compares against it. */
let lastReleaseAt = Number.NEGATIVE_INFINITY;
let clock: () => number = () => performance.now();

/**
 * Sockets written out, by hold (process-wide, only grows): each is one write to the kernel for
 * everything a socket got in a turn or a window. Deliveries ÷ these is the coalescing ratio.
 */
export const batcherCounters = { turnFlushes: 0, windowFlushes: 0 };

/**
 * Release every socket of `list` still held as `hold`, then empty the list. Only those still held
 * so: a socket promoted from the window to the turn hold was released by that turn (and may be
 * held again now), and a socket can appear twice in a window list (held, promoted, released, held
 * again), its first entry releasing it. The clock is read after the writes: a release of a large
 * fan-out is itself milliseconds of syscalls, and what arrives while it runs is as much "faster
 * than the window" as what arrives right after.
 */
function release(list: Holdable[], hold: Hold): void {
  let released = 0;
  for (let i = 0; i < list.length; i++) {
    const target = list[i]!;
    if (target.hold === hold) {
      target.releaseCork();
      released++;
    }
  }
  list.length = 0;
  if (hold === Hold.turn) batcherCounters.turnFlushes += released;
  else batcherCounters.windowFlushes += released;
  lastReleaseAt = clock();
}

// Both releases swap lists before walking one: an uncork can run write callbacks that write (and
// hold) again; they land on the fresh list, never on the one being walked.
function releaseTurn(): void {
  turnScheduled = false;
  const list = turnList;
  turnList = turnSpare;
  turnSpare = list;
  release(list, Hold.turn);
}

function releaseWindow(): void {
  windowTimer = null;
  const list = windowList;
  windowList = windowSpare;
  windowSpare = list;
  release(list, Hold.window);
}

/** Hold `target` (corked by the caller, `hold` set to `Hold.turn`) until the end of this turn. */
export function holdForTurn(target: Holdable): void {
  turnList.push(target);
  if (!turnScheduled) {
    turnScheduled = true;
    queueMicrotask(scheduleTurnRelease);
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
function scheduleTurnRelease(): void {
  process.nextTick(releaseTurn);
}

/**
 * Whether a delivery written now should be held across turns: a window is set and the last
 * release was less than one window ago, or a window hold is already running.
 */
export function holdAcrossTurns(windowMs: number): boolean {
  if (windowMs <= 0) return false;
  // Decided once per turn, not per socket (a fan-out asks for each of its sockets): a running
  // window hold takes every delivery; a turn that already holds sockets for its own end has
  // decided not to wait. Only the first socket of a turn reads the clock.
  if (windowTimer !== null || armPending) return true;
  if (turnScheduled) return false;
  return clock() - lastReleaseAt < windowMs;
}

/**
 * Starts the window's timer at the end of the turn that first held for it: the window is counted
 * from when the turn's writes are done, not from its first write (a fan-out to thousands of
 * sockets is itself about a millisecond of JavaScript, which would use the window up).
 */
function armWindow(): void {
  armPending = false;
  // Not unref'd: a process must not exit with frames still held.
  windowTimer = setTimeout(releaseWindow, armWindowMs);
}

/** Hold `target` (corked by the caller, `hold` set to `Hold.window`) until the window ends. */
export function holdForWindow(target: Holdable, windowMs: number): void {
  windowList.push(target);
  if (windowTimer === null && !armPending) {
    armPending = true;
    armWindowMs = windowMs;
    process.nextTick(armWindow);
  }
}

/** Tests: drive the hot test with a fake clock; returns the restore function. */
export function setBatcherClock(now: () => number): () => void {
  const previous = clock;
  clock = now;
  lastReleaseAt = Number.NEGATIVE_INFINITY;
  return () => {
    clock = previous;
    lastReleaseAt = Number.NEGATIVE_INFINITY;
  };
}
