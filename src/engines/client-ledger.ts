/**
 * ClientLedger: which gateway clients each node holds, so that when a node dies its clients'
 * `close` items still reach the backends. One piece of the engine (engine.ts).
 *
 * A node records each gateway client it holds (again when its context changes) and releases it
 * once the client's own close item is pushed. A node that dies releases nothing: once its
 * registry entry has expired (the NodeRegistry's lease, the signal that it is gone), any survivor
 * may claim what it held, and each entry is handed to exactly one caller across the cluster, once.
 * The survivor pushes the close items. An engine whose nodes cannot outlive each other (memory:
 * one process) has nothing to claim.
 */
import type { JsonValue } from '../core/types.js';

export interface HeldClient {
  client: string;
  namespace: string;
  /** The queue topic its items go to. */
  topic: string;
  /** The connection's context when it was last recorded. */
  context: Record<string, JsonValue>;
}

export interface ClientLedger {
  /** This node holds the client (again: its context changed). */
  hold(entry: HeldClient): Promise<void>;
  /** The client left this node and its close item was pushed. */
  release(client: string): Promise<void>;
  /**
   * Clients held by nodes that are gone (and, on the first call after start, by this node id's
   * previous process), each returned to exactly one caller in the cluster and then forgotten.
   */
  claimOrphans(): Promise<HeldClient[]>;
}
