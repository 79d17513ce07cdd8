/** A JSON value as it travels through the hub: what a publication or a queue item carries. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * What a publisher hands to the hub. `data` is a JSON value, or a Buffer for a binary
 * publication (mesh `t: "binary"`).
 */
export interface PublishInput {
  data: JsonValue | Buffer;
  /** Event name (rocket `broadcast`'s `event`). */
  event?: string;
  /** Who published: a chat username, a rocket user. Absent for backends. */
  sender?: string;
  /** Client-chosen id (chat `id`), echoed live but never stored in history renderings. */
  id?: string;
  /**
   * A client id that must not receive this publication live (the sender of a Pusher client event,
   * the `socket_id` of an HTTP trigger). History reads still return it.
   */
  except?: string;
}

/** One message in a channel, numbered by the engine. Immutable once published. */
export interface Publication extends PublishInput {
  channel: string;
  /**
   * Per channel: +1 per publication, never reused, no holes (docs/architecture.md); after a Redis data loss
   * or failover one jump upwards over the ords that may have been lost (docs/cluster.md).
   */
  ord: number;
  /** Publication time, ms since the epoch (engine clock). */
  time: number;
}

/** How many subscriber writes a publication caused, and how many failed. */
export interface DeliveryCount {
  delivered: number;
  failed: number;
}

/** A channel as listed by the engine (chat `/api/rooms`, admin API). */
export interface ChannelInfo {
  name: string;
  /** The newest ord (0 if none was ever published). */
  top: number;
  /** The newest buffered publication, if the history holds any. */
  last?: Publication;
}

/** One queue item as delivered to a consumer (the mesh dialect renders it as `queue.pop`). */
export interface QueueItem {
  /** Node id of the producing connection. */
  node: number;
  /** client_id of the producing connection ("0" when produced by the server itself). */
  client: string;
  /** Topic the item came from. */
  topic: string;
  /** The item. */
  data: JsonValue;
}

/**
 * Where a subscription starts: `live` from the next publication on, `newest` with the newest
 * buffered publication first, `after` with every buffered publication whose ord is above `ord`.
 */
export type StreamPosition = { kind: 'live' } | { kind: 'newest' } | { kind: 'after'; ord: number };
