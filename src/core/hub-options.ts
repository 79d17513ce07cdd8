/**
 * The shapes of the hub's face: what it is built with, what its operations take and resolve
 * with. Hub operations resolve with their result and throw HubError for every failure; a control
 * reply from another node is turned into one by `settle`.
 */
import type { Logger } from 'pino';
import type { ControlReply, HistoryQuery } from '../engines/engine.js';
import { HubError, HubErrorCode, isHubErrorCode } from './errors.js';
import type { StreamPosition } from './types.js';

export interface SubscribeOptions {
  /** Where the subscription starts (default: live). */
  from?: StreamPosition;
  /** Called once the subscription is registered, before any backlog is written (send "ok" here). */
  onReady?: () => void;
}

/** The backlog a subscription starting at `from` reads before going live. */
export function historyFrom(from: StreamPosition = { kind: 'live' }): HistoryQuery {
  switch (from.kind) {
    case 'live':
      return { last: 0 };
    case 'newest':
      return { last: 1 };
    case 'after':
      return { after: from.ord };
  }
}

export interface HubCounters {
  publications: number;
  deliveries: number;
  failedDeliveries: number;
  /** Publications accepted through this node's `publish` (stored by the engine), any producer. */
  published: number;
}

/** A credential a dialect refused: who tried (TCP peer), where, and why in the dialect's words. */
export interface AuthFailure {
  dialect: string;
  reason: string;
  namespace?: string | undefined;
  address?: string | undefined;
}

/** What a hub is built with; every figure has the default of its limit. */
export interface HubOptions {
  logger?: Logger | undefined;
  /** The deepest `data` publish accepts (limits.max_json_depth). */
  maxJsonDepth?: number;
  /** Subscriptions one connection may hold (limits.max_channels_per_connection). */
  maxChannelsPerConnection?: number;
  /** Told of every refused credential (logged, summed per interval, by the ops log). */
  authFailed?: (failure: AuthFailure) => void;
}

/** What a routed operation (sendTo, call, disconnect) resolves with; failures throw HubError. */
export type Done = { ok: true };
const DONE: Done = { ok: true };

/** A control reply as the hub's convention: the success, or a thrown HubError. */
export function settle(reply: ControlReply): Done {
  if (reply.ok) return DONE;
  const code = isHubErrorCode(reply.code) ? reply.code : HubErrorCode.nodeUnreachable;
  throw new HubError(code, reply.error);
}
