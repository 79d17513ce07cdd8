/**
 * ChannelTransport: what a cluster backend implements for channels. The shared layer
 * (cluster-channel-log.ts) turns it into a ChannelLog: watch bookkeeping, per-channel ordering,
 * dedupe, gap repair (channel-streams.ts) and cluster-wide delivery counts.
 */
import type { ChannelInfo, Publication, PublishInput } from '../../core/types.js';
import type { HistoryQuery, HistoryResult } from '../channel-log.js';
import type { CountRequest, Envelope } from './envelope.js';

export interface TransportSink {
  /** A publication of a subscribed channel or namespace (twice if both are subscribed). */
  onEnvelope(envelope: Envelope): void;
  /** The subscriptions were re-established after a loss: what was published meanwhile is gone. */
  onResync(): void;
}

export interface ChannelTransport {
  /** Called once, before anything is subscribed. */
  bind(sink: TransportSink): void;
  /**
   * One atomic step: the channel's next ord, the append to its history (bounded to
   * `historySize`), and the hand-off to every node subscribed to the channel or its namespace.
   * `receivers` is the number of subscriptions that received it (each answers a count request).
   * Rejects (HubError engine_unavailable) if the backend is unreachable.
   */
  append(
    ns: string,
    channel: string,
    input: PublishInput,
    options: { historySize: number; countRequest?: CountRequest },
  ): Promise<{ publication: Publication; receivers: number }>;
  history(ns: string, channel: string, query: HistoryQuery): Promise<HistoryResult>;
  channels(ns: string): Promise<ChannelInfo[]>;
  /** Delete the channel's history and listing; its ord counter keeps counting up (ChannelLog). */
  dropChannel(ns: string, channel: string): Promise<void>;
  /** Channels of the namespace published to at or after `sinceMs` (the backend's clock). */
  channelsSince(ns: string, sinceMs: number): Promise<string[]>;
  /** The channel's newest ord right now (0 if none). */
  top(ns: string, channel: string): Promise<number>;
  /** The backend's clock, ms (publication times are on it). */
  now(): Promise<number>;
  /** Resolve once every later publication of the channel reaches `onEnvelope`. */
  subscribeChannel(ns: string, channel: string): Promise<void>;
  unsubscribeChannel(ns: string, channel: string): Promise<void>;
  subscribeNamespace(ns: string): Promise<void>;
  unsubscribeNamespace(ns: string): Promise<void>;
}
