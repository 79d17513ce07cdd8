import { HubError, HubErrorCode } from '../../core/errors.js';
import { countLimit } from '../../core/limit-counters.js';
import { redisStats } from './redis-stats.js';

/** ioredis' own words → what an operator or API user should read. */
const REASONS: [RegExp, string][] = [
  [/enableOfflineQueue/, 'not connected, reconnecting'],
  [/max retries per request/i, 'connection lost during the command; it may or may not have run'],
  [/Connection is closed/i, 'connection closed'],
  [
    /Command timed out/,
    'no answer within engine.command_timeout_ms (hung or overloaded); it may or may not have run',
  ],
];

/** ioredis gave up waiting for an answer (the command timeout). */
export function isTimeout(cause: unknown): boolean {
  return cause instanceof Error && /Command timed out/.test(cause.message);
}

/**
 * The error every engine operation rejects with while Redis cannot be reached or does not answer
 * in time: a HubError with code `engine_unavailable`, so dialects surface it in their own shape
 * (an outage, never an authorization failure) instead of a stack trace. Commands are never queued
 * while disconnected (ioredis offline queue off): failing fast is what lets a publisher retry
 * elsewhere, and a publish is never silently replayed twice.
 */
export function unavailable(what: string, cause: unknown): HubError {
  if (cause instanceof HubError) return cause;
  const raw = cause instanceof Error ? cause.message : String(cause);
  if (isTimeout(cause)) {
    redisStats.commandTimeouts++;
    countLimit('engine.command_timeout_ms');
  }
  const reason = REASONS.find(([re]) => re.test(raw))?.[1];
  const message = reason ? `Redis is unreachable (${reason})` : `Redis answered with an error (${raw})`;
  return new HubError(HubErrorCode.engineUnavailable, `${what} failed: ${message}`);
}

/**
 * A publication given up on at its deadline. Redis runs no publish script after that deadline
 * (publish.lua checks it against Redis' own clock first), so the caller may publish it again.
 */
export function publishTimedOut(timeoutMs: number): HubError {
  redisStats.commandTimeouts++;
  countLimit('engine.command_timeout_ms');
  return new HubError(
    HubErrorCode.engineUnavailable,
    `publish failed: Redis did not answer within ${timeoutMs} ms (hung or overloaded); not published: Redis skips a publication that reaches it after its deadline`,
  );
}

/** The script ran after the publication's deadline and skipped it: known not to be published. */
export function publishExpired(): HubError {
  redisStats.publishesExpired++;
  return new HubError(
    HubErrorCode.engineUnavailable,
    'publish failed: Redis reached the publication after its deadline (engine.command_timeout_ms); not published',
  );
}
