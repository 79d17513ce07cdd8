/**
 * Per-turn write coalescing. A fan-out of a burst of publications writes many small frames to each
 * client socket in one event-loop turn; uncorked, every one is its own `writev` syscall (≈ 5 µs of
 * kernel time on loopback — 76% of the server's time in the fan-out profile, docs/benchmarks.md).
 * Held corked until the turn's synchronous work is done, everything written to a socket in the
 * turn leaves in one `writev`.
 *
 * The release runs on `process.nextTick`: after the current macrotask's synchronous code and the
 * microtasks it queued (a whole awaited publish loop), before any I/O or timer. So a lone message
 * at a low rate leaves in the same turn it was written in — coalescing adds no latency.
 *
 * Cork is counted by Node's Writable, so `ws`'s own cork/write/write/uncork of a frame nests inside
 * and cannot flush early; order within a socket is the order of the writes (one stream, one
 * buffer), whichever path wrote them.
 */

/** What the batcher holds: a socket side that knows whether it is corked for this turn. */
export interface TurnCorked {
  /** Called once at the end of the turn in which `holdForTurn` took it. */
  releaseCork(): void;
}

let held: TurnCorked[] = [];
let spare: TurnCorked[] = [];
let scheduled = false;

function releaseAll(): void {
  scheduled = false;
  // Swap before releasing: an uncork can run write callbacks that write (and hold) again; they
  // land on the fresh list and the next tick, never on the one being walked.
  const list = held;
  held = spare;
  spare = list;
  for (let i = 0; i < list.length; i++) list[i]!.releaseCork();
  list.length = 0;
}

/**
 * Register `target` (already corked by the caller) for release at the end of this turn. The caller
 * keeps its own "held this turn" flag so this is called once per socket per turn.
 */
export function holdForTurn(target: TurnCorked): void {
  held.push(target);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(releaseAll);
  }
}
