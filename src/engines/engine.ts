/**
 * The engine contract. An engine owns every piece of state that must be shared between the nodes
 * of a cluster: channel ords and history, publication delivery to nodes, queue topics and
 * node-addressed control messages. The hub (src/core) owns everything local to one node:
 * connections, their subscriptions and the fan-out to sockets.
 *
 * Invariants every implementation must keep (checked by test/conformance/engine-suite.ts):
 *
 * 1. Ords. For one (namespace, channel), `publish` assigns ords that are positive integers,
 *    +1 per publication, never reused, with no holes. Assigning the ord, appending to history and
 *    handing the publication to the nodes is one atomic step: every node sees the channel's
 *    publications in ord order, and `history` never shows a publication that the watching nodes
 *    will not also be handed (nor the reverse, once `publish` has resolved).
 * 2. History is bounded to `historySize` publications per channel (oldest dropped first). An engine
 *    without durable storage must still keep ords increasing across its own restart (e.g. a
 *    time-derived base for a channel's first ord), so a client resuming with an old ord is never
 *    told "nothing new" while newer messages are buffered.
 * 3. Delivery. `handlers.onPublication` is called once per publication per node that watches
 *    the channel (or its whole namespace), in ord order per channel, never concurrently for the
 *    same channel. A node that does not watch a channel need not be told about it.
 * 4. Queues. Each pushed item is handed to exactly one consumer across the cluster, round-robin
 *    over the topic's consumers. A consumer's `deliver` returning false means "not written":
 *    the engine offers the item to another consumer or keeps it at the head of the topic. With no
 *    consumer, items wait (at most `topicSize` per topic, `maxTopics` topics per namespace; past
 *    that the oldest item is dropped and reported in `dropped`).
 * 5. Control. `control(node, msg)` reaches `handlers.onControl` on that node and resolves with its
 *    reply, or with `{ok: false, error}` within a bounded time if the node is unknown or silent.
 * 6. Nothing crosses namespaces: the same channel or topic name in two namespaces is two things.
 *
 * All methods may be called before `start` resolves only if stated; none may throw for a missing
 * channel or topic (they are created on first use).
 */
import type {
  ChannelInfo,
  DeliveryCount,
  JsonValue,
  Publication,
  PublishInput,
  QueueItem,
} from '../core/types.js';
import type { PresenceStore } from './presence.js';

/** Per-channel settings the hub passes on every publish (they come from the namespace config). */
export interface ChannelOptions {
  /** History buffer size for the channel. */
  historySize: number;
}

export interface PublishOptions extends ChannelOptions {
  /**
   * Count subscriber writes over the whole cluster and return them (mesh.publish `s`/`f`). Nodes
   * that do not answer in bounded time count as failed for their subscribers.
   */
  count?: boolean;
}

export interface PublishResult {
  publication: Publication;
  /** Present when `count` was asked for. */
  delivered?: DeliveryCount;
}

/**
 * Which part of a channel's history to read. Exactly one of the forms:
 * `{after: N}` — every buffered publication with ord > N (N ≥ 0; N = 0 means the whole buffer);
 * `{last: K}` — the newest K buffered publications (K = 0 reads only `top`).
 * Results are always oldest → newest.
 */
export type HistoryQuery = { after: number; limit?: number } | { last: number };

export interface HistoryResult {
  publications: Publication[];
  /** The channel's newest ord at the moment of the read (0 for a channel never published to). */
  top: number;
}

/**
 * A message addressed to one node (mesh.send / conn.call / kick routed by client id). With
 * `namespace` set, the target must be a connection of that namespace or the reply is
 * `unknown_client`: a tenant's API key never reaches another tenant's connections.
 * `inspect` asks the node about itself (src/core/inspect.ts): `stats` answers its figures,
 * `connections` its connection list, `namespaces` its connections and subscriptions per namespace,
 * `channels` its subscribers per channel of `namespace` (required there), `address` where
 * backends reach it; `namespace` restricts the others to that namespace.
 */
export type ControlMessage = (
  | { type: 'send'; client: string; data: string; binary: boolean }
  | { type: 'call'; client: string; fn: string; args: JsonValue[] }
  | { type: 'disconnect'; client: string; code: number; reason: string }
  | { type: 'inspect'; what: 'stats' | 'connections' | 'namespaces' | 'channels' | 'address' }
) & { namespace?: string };

export type ControlReply = { ok: true; result?: JsonValue } | { ok: false; error: string; code?: string };

/** A local queue consumer: one backend connection that called `queue.pop`. */
export interface QueueConsumer {
  /** Stable id of the consuming connection (its client_id). */
  readonly id: string;
  /**
   * Write the item to the consumer now. Return false if it could not be written (connection
   * closing or too far behind); the engine then gives the item to someone else or keeps it.
   */
  deliver(item: QueueItem): boolean;
}

export interface QueueLimits {
  topicSize: number;
  maxTopics: number;
}

export interface TopicStats {
  topic: string;
  /** Items waiting for a consumer. */
  depth: number;
  /** Consumers attached on the whole cluster (best effort for remote ones). */
  consumers: number;
  /** Items dropped because the topic or the namespace was full, since start. */
  dropped: number;
}

/** Callbacks from the engine into the node's hub. */
export interface EngineHandlers {
  /** A publication of a watched channel. Returns the local delivery counts. */
  onPublication(namespace: string, publication: Publication): DeliveryCount;
  /** A control message addressed to this node. */
  onControl(message: ControlMessage): Promise<ControlReply>;
}

export interface Engine {
  /** The 10-bit node id written into this node's client ids. Valid after `start`. */
  readonly nodeId: number;
  /** Human name for logs and /stats ("memory", "redis"). */
  readonly kind: string;

  start(handlers: EngineHandlers): Promise<void>;
  /** Stop delivering, release shared resources (leases, consumers), close connections. */
  close(): Promise<void>;
  /** False while shared state is unreachable (readiness probe). */
  ready(): boolean;

  publish(
    namespace: string,
    channel: string,
    input: PublishInput,
    options: PublishOptions,
  ): Promise<PublishResult>;
  history(namespace: string, channel: string, query: HistoryQuery): Promise<HistoryResult>;
  /** Channels of a namespace that have published at least once and are still known. */
  channels(namespace: string): Promise<ChannelInfo[]>;

  /**
   * This node wants `onPublication` for the channel. Every string is an ordinary channel name
   * (`*` included). Reference-counted by the hub: it calls `watch` for the first local subscriber
   * and `unwatch` after the last one left. Resolves once publications made after it resolves are
   * guaranteed to be delivered.
   */
  watch(namespace: string, channel: string): Promise<void>;
  unwatch(namespace: string, channel: string): Promise<void>;
  /**
   * This node wants `onPublication` for every channel of the namespace (chat clients), whatever
   * it watches by name. Independent of `watch`/`unwatch`: ending a channel watch never ends the
   * namespace watch, nor the reverse. Resolves as `watch` does.
   */
  watchNamespace(namespace: string): Promise<void>;
  unwatchNamespace(namespace: string): Promise<void>;

  /** Send a control message to the node `nodeId` (may be this node). */
  control(nodeId: number, message: ControlMessage): Promise<ControlReply>;
  /**
   * Ids of the nodes currently in the cluster, ascending, this node included once started (a
   * single-node engine answers `[nodeId]`). May list a node that died moments ago (until its
   * registration expires): `control` to it then fails in bounded time. Rejects if shared state
   * is unreachable.
   */
  nodes(): Promise<number[]>;

  queuePush(
    namespace: string,
    topic: string,
    item: QueueItem,
    limits: QueueLimits,
  ): Promise<{ dropped: number }>;
  /** Attach a consumer to a topic; resolves with a detach function. */
  queueConsume(namespace: string, topic: string, consumer: QueueConsumer): Promise<() => Promise<void>>;
  /** Is any consumer attached to the topic anywhere in the cluster? (rocket ASSIGNATION_FAILED) */
  queueHasConsumer(namespace: string, topic: string): Promise<boolean>;
  queueStats(namespace: string): Promise<TopicStats[]>;

  /**
   * Optional. Claim `key` once across the cluster: resolves true for the first claim, false for
   * every later one until `ttlMs` has passed since the first (then the key may be claimed again).
   * Atomic: of concurrent claims on any nodes, exactly one wins. Rejects if shared state is
   * unreachable. Used for one-use site post tokens (`post_token_reuse: false`); the caller puts
   * the namespace into the key. Engines without it get a node-local fallback from the hub.
   */
  claimOnce?(key: string, ttlMs: number): Promise<boolean>;

  /** Who is in which presence channel, cluster-wide (engines/presence.ts). Absent: no presence. */
  readonly presence?: PresenceStore;
}
