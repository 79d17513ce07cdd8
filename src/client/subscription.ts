// One application subscription as the client tracks it across connections.
import type { Backoff } from './backoff.js';
import type { MessageHandler, Subscription } from './types.js';

export interface SubRecord {
  channel: string;
  handler: MessageHandler<unknown>;
  /** The `after` the application asked for: used again until a message has been delivered. */
  initialAfter: number;
  /** The last ord delivered (or the `after` given when > 0): a resume starts after it. */
  lastOrd: number;
  /** `active` only after the server's ok on the current socket: messages before that are dropped. */
  status: 'waiting' | 'pending' | 'active';
  /** Spaces out resubscribes the server refused. */
  backoff: Backoff;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Settles the `subscribe()` promise; cleared once settled. */
  first: { resolve(s: Subscription): void; reject(e: unknown): void } | undefined;
  /** What the application holds: a read-only view plus `unsubscribe`. */
  handle: Subscription;
}

export function createRecord(
  channel: string,
  handler: MessageHandler<unknown>,
  after: number,
  parts: Pick<SubRecord, 'backoff' | 'first'> & { unsubscribe(): Promise<void> },
): SubRecord {
  const record: SubRecord = {
    channel,
    handler,
    initialAfter: after,
    lastOrd: Math.max(0, after),
    status: 'waiting',
    backoff: parts.backoff,
    retryTimer: undefined,
    first: parts.first,
    handle: {
      channel,
      get lastOrd() {
        return record.lastOrd;
      },
      get active() {
        return record.status === 'active';
      },
      unsubscribe: parts.unsubscribe,
    },
  };
  return record;
}
