import { HubError, HubErrorCode } from '../../core/errors.js';

/** ioredis' own words → what an operator or API user should read. */
const REASONS: [RegExp, string][] = [
  [/enableOfflineQueue/, 'not connected, reconnecting'],
  [/max retries per request/i, 'connection lost during the command; it may or may not have run'],
  [/Connection is closed/i, 'connection closed'],
];

/**
 * The error every engine operation rejects with while Redis cannot be reached: a HubError with
 * code `engine_unavailable`, so dialects surface it in their own shape instead of a stack trace.
 * Commands are never queued while disconnected (ioredis offline queue off): failing fast is what
 * lets a publisher retry elsewhere, and a publish is never silently replayed twice.
 */
export function unavailable(what: string, cause: unknown): HubError {
  if (cause instanceof HubError) return cause;
  const raw = cause instanceof Error ? cause.message : String(cause);
  const reason = REASONS.find(([re]) => re.test(raw))?.[1];
  const message = reason ? `Redis is unreachable (${reason})` : `Redis answered with an error (${raw})`;
  return new HubError(HubErrorCode.engineUnavailable, `${what} failed: ${message}`);
}
