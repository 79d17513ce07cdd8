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
  let count = 0;
  let at = frame.indexOf(MARKER);
  while (at !== -1) {
    count++;
    let i = at + MARKER.length;
    if (onStamp !== undefined) {
      let value = 0;
      while (i < frame.length && frame[i] !== TILDE) {
        value = value * 10 + (frame[i]! - ZERO);
        i++;
      }
      if (value > 0) onStamp(value);
    }
    at = frame.indexOf(MARKER, i);
  }
  return count;
}
