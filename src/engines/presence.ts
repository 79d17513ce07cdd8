/**
 * PresenceStore: who is in a channel, over the whole cluster (presence channels of a dialect such
 * as Pusher's `presence-*`). An optional piece of the engine (`Engine.presence`): an engine
 * without it has no slot, and a dialect that needs presence refuses to start on it.
 *
 * The contract (a conformance suite comes with the first implementation):
 * - a member is one connection (`client`) acting as one user (`user`); several connections of
 *   one user are one member as far as `members` is concerned;
 * - `join` is idempotent per client and says whether it made `user` appear in the channel (their
 *   first connection there), `leave` whether it made them disappear (their last one);
 * - entries of a node that stops without leaving expire on their own (bounded time), so a crashed
 *   node's members do not stay forever;
 * - nothing crosses namespaces.
 */
import type { JsonValue } from '../core/types.js';

export interface PresenceMember {
  /** The connection's client id. */
  client: string;
  /** The user the connection acts as (Pusher `user_id`). */
  user: string;
  /** What the user chose to show (Pusher `user_info`), as given on join. */
  info?: JsonValue;
}

export interface PresenceStore {
  join(namespace: string, channel: string, member: PresenceMember): Promise<{ userAdded: boolean }>;
  leave(namespace: string, channel: string, client: string): Promise<{ userRemoved?: string }>;
  /** One entry per user (the first connection's `info`), in no particular order. */
  members(namespace: string, channel: string): Promise<PresenceMember[]>;
}
