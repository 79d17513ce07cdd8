/**
 * ChannelLog: ordered publish, bounded history and delivery of publications to the nodes that
 * watch them. One piece of the engine (engine.ts); its conformance suite is
 * test/conformance/channel-log-suite.ts.
 *
 * Invariants every implementation keeps:
 *
 * 1. Ords. For one (namespace, channel), `publish` assigns ords that are positive integers,
 *    +1 per publication, never reused, with no holes. Assigning the ord, appending to history and
 *    handing the publication to the nodes is one atomic step: every node sees the channel's
 *    publications in ord order, and `history` never shows a publication that the watching nodes
 *    will not also be handed (nor the reverse, once `publish` has resolved).
 * 2. History is bounded to `historySize` publications per channel (oldest dropped first). A log
 *    without durable storage must still keep ords increasing across its own restart (e.g. a
 *    time-derived base for a channel's first ord), so a client resuming with an old ord is never
 *    told "nothing new" while newer messages are buffered.
 * 3. Delivery. The engine's `onPublication` is called once per publication per node that watches
 *    the channel (or its whole namespace), in ord order per channel, never concurrently for the
 *    same channel. A node that does not watch a channel need not be told about it.
 * 4. Nothing crosses namespaces: the same channel name in two namespaces is two channels, and
 *    every string is an ordinary channel name (`*` included).
 *
 * No method throws for a missing channel (channels are created on first use).
 */
import type { ChannelInfo, DeliveryCount, Publication, PublishInput } from '../core/types.js';

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

export interface ChannelLog {
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
   * Forget a channel: it leaves `channels` and its history is deleted (bounded chat rooms are
   * evicted this way). A later publish to the same name starts it again with ords above every
   * earlier one. Dropping an unknown channel is not an error.
   */
  dropChannel(namespace: string, channel: string): Promise<void>;

  /**
   * This node wants `onPublication` for the channel. Reference-counted by the hub: it calls
   * `watch` for the first local subscriber and `unwatch` after the last one left. Resolves once
   * publications made after it resolves are guaranteed to be delivered.
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
}
