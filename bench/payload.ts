// The bench message and how a receiver reads it back without parsing JSON. Every payload holds
// `~B~<µs>~` followed by padding: the timestamp is the publisher's monotonic clock
// (process.hrtime, shared by every process of the machine), 0 in bursts where latency is not
// sampled. The marker survives each dialect's rendering unchanged (no JSON escaping touches it),
// and counting markers rather than frames also counts NATS messages batched into one frame.

export const MARKER = Buffer.from('~B~');
const TILDE = 0x7e;
const ZERO = 0x30;

/** Microseconds on the monotonic clock every local process shares. */
export function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** A payload string of exactly `bytes` characters (at least the marker and timestamp). */
export function makePayload(bytes: number, stampMicros: number): string {
  const head = `~B~${stampMicros}~`;
  return head.length >= bytes ? head : head + 'x'.repeat(bytes - head.length);
}

/**
 * Calls `onStamp` once per marker in `frame` with the timestamp it carries; returns how many
 * markers there were. Digits are read straight from the bytes: no string, no allocation.
 */
export function scanFrame(frame: Buffer, onStamp: ((micros: number) => void) | undefined): number {
  return scanRange(frame, 0, frame.length, onStamp);
}

/**
 * `scanFrame` over the bytes `[start, end)` of `buf` (a frame's payload inside a larger socket
 * chunk), without a subarray: a marker counts only when it lies wholly inside the range.
 */
export function scanRange(
  buf: Buffer,
  start: number,
  end: number,
  onStamp: ((micros: number) => void) | undefined,
): number {
  let count = 0;
  const last = end - MARKER.length;
  let at = start <= last ? buf.indexOf(MARKER, start) : -1;
  while (at !== -1 && at <= last) {
    count++;
    let i = at + MARKER.length;
    if (onStamp !== undefined) {
      let value = 0;
      while (i < end && buf[i] !== TILDE) {
        value = value * 10 + (buf[i]! - ZERO);
        i++;
      }
      if (value > 0) onStamp(value);
    }
    at = i <= last ? buf.indexOf(MARKER, i) : -1;
  }
  return count;
}
