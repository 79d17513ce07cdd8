import { HubError, HubErrorCode } from '../../core/errors.js';

/**
 * The error every engine operation rejects with while Redis cannot be reached: a HubError with
 * code `engine_unavailable`, so dialects surface it in their own shape instead of a stack trace.
 * Commands are never queued while disconnected (ioredis offline queue off): failing fast is what
 * lets a publisher retry elsewhere, and a publish is never silently replayed twice.
 */
export function unavailable(what: string, cause: unknown): HubError {
  if (cause instanceof HubError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new HubError(
    HubErrorCode.engineUnavailable,
    `cluster state (Redis) unavailable: ${what} failed: ${reason}`,
  );
}
