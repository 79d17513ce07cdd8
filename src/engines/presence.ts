/**
 * Presence: who is in a channel, shared by every node of a cluster. An engine piece of its own
 * (memory: presence/memory-presence.ts, Redis: redis/presence.ts), kept apart from publications so
 * that any dialect may use it; the Pusher dialect is the first (docs/protocol/pusher.md).
 *
 * The contract (test/conformance/presence-suite.ts runs it on every implementation):
 * 1. Members are users, not connections. `join` answers `first: true` only for a user's first
 *    connection in the channel across the cluster, `leave` answers `last: true` only when the
 *    user's last one left; each transition is reported to exactly one caller.
 * 2. `members` lists each user once, with the `info` of the connection that joined first.
 * 3. `join` refuses (`full`) a user who is not yet a member once `maxMembers` users are.
 * 4. Connections of a node that stopped without leaving (it died) are removed within a bounded
 *    time by a surviving node, and the users who left because of it are handed to `onDeparted`
 *    on exactly one node (Redis: the node that removed them).
 * 5. Nothing crosses namespaces.
 */
import type { JsonValue } from '../core/types.js';

export interface PresenceMember {
  userId: string;
  info?: JsonValue;
}

export interface PresenceJoin {
  /** The joining connection's client id and the node that holds it. */
  connection: string;
  node: number;
  member: PresenceMember;
  maxMembers: number;
}

export type JoinResult = { full: true } | { full: false; first: boolean };

/** A user who left a channel because the node holding its connections died. */
export interface Departure {
  namespace: string;
  channel: string;
  userId: string;
}

export interface PresenceStore {
  join(namespace: string, channel: string, join: PresenceJoin): Promise<JoinResult>;
  /** Undefined when the connection was not a member (already left, or removed with its node). */
  leave(
    namespace: string,
    channel: string,
    connection: string,
  ): Promise<{ userId: string; last: boolean } | undefined>;
  members(namespace: string, channel: string): Promise<PresenceMember[]>;
  /** Presence channels of the namespace with at least one member, and how many users each has. */
  channels(namespace: string): Promise<Map<string, number>>;
  /** Where departures (contract point 4) are reported. Set once, before serving. */
  onDeparted?: (departures: Departure[]) => void;
  close(): Promise<void>;
}
