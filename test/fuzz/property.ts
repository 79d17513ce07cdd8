// What a fuzz property is, and how one is run: the same properties serve `npm test` (a few
// thousand cases) and `npm run fuzz` (over 100,000), only the number of runs differs.
import { AssertionError } from 'node:assert';
import fc from 'fast-check';

export interface FuzzProperty<T = any> {
  dialect: 'site' | 'rocket' | 'mesh' | 'chat' | 'pusher';
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** Throws (an assertion or the codec's own exception) when the property does not hold. */
  check(value: T): void;
  /** Share of the dialect's run budget, relative to the other properties (default 1). */
  weight?: number;
  /**
   * Set while the property fails because of a reported, not yet fixed bug: `npm test` reports it
   * as a todo (so the suite stays green) and `npm run fuzz` still counts it as a failure.
   */
  knownBug?: string;
}

export const property = <T>(p: FuzzProperty<T>): FuzzProperty<T> => p;

/**
 * Run one property; never throws. A failure carries fast-check's shrunk counterexample report and
 * its kind: `crash` when the code under test threw (not an assertion), `violation` when it answered
 * but broke the property (wrong shape, wrong value).
 */
export function runProperty(
  p: FuzzProperty,
  numRuns: number,
  seed?: number,
): { ran: number; failure?: string; kind?: 'crash' | 'violation' } {
  const details = fc.check(
    fc.property(p.arbitrary, (v) => {
      p.check(v);
    }),
    seed === undefined ? { numRuns } : { numRuns, seed },
  );
  if (!details.failed) return { ran: details.numRuns };
  const kind = details.errorInstance instanceof AssertionError ? 'violation' : 'crash';
  return { ran: details.numRuns, failure: fc.defaultReportMessage(details) ?? 'failed', kind };
}

/** Truncated JSON of a counterexample, for assertion messages that stay readable. */
export const show = (v: unknown): string => {
  let s: string;
  try {
    s = Buffer.isBuffer(v) ? `<bytes ${v.toString('hex')}>` : JSON.stringify(v);
  } catch {
    s = String(v);
  }
  return s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s;
};
