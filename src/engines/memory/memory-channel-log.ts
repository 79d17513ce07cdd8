import type { ChannelInfo, DeliveryCount, Publication, PublishInput } from '../../core/types.js';
import type {
  ChannelLog,
  HistoryQuery,
  HistoryResult,
  PublishOptions,
  PublishResult,
} from '../channel-log.js';
import { Ring } from './ring.js';

interface ChannelState {
  /** The ord the next publication gets. */
  next: number;
  history: Ring<Publication>;
}

/**
 * The first ord of a channel: microseconds since the epoch. Nothing survives a restart of this
 * engine, so this is what keeps ords increasing across one (docs/architecture.md): a resumed client's old
 * `after` is always below the new ords unless a channel sustained over a million publications a
 * second. Stays below 2^53 until the year 2255.
 */
export function timeBasedFirstOrd(nowMs = Date.now()): number {
  return nowMs * 1000 + 1;
}

/**
 * Channels of the single-node engine. Everything happens synchronously in the event loop, and the
 * one node holds every subscriber, so every publication is handed to it whatever it watches.
 */
export class MemoryChannelLog implements ChannelLog {
  private readonly channelsByNs = new Map<string, Map<string, ChannelState>>();
  /**
   * Per namespace, the highest ord a dropped channel reached: a channel started again begins
   * above it even within the clock's millisecond. One number per namespace, not per channel.
   */
  private readonly droppedTop = new Map<string, number>();

  constructor(
    private readonly deliver: (ns: string, p: Publication) => DeliveryCount | undefined,
    private readonly firstOrd: () => number = timeBasedFirstOrd,
  ) {}

  async publish(
    ns: string,
    channel: string,
    input: PublishInput,
    options: PublishOptions,
  ): Promise<PublishResult> {
    const state = this.channel(ns, channel, options.historySize);
    const publication: Publication = { ...input, channel, ord: state.next++, time: Date.now() };
    state.history.push(publication);
    const counts = this.deliver(ns, publication) ?? { delivered: 0, failed: 0 };
    return options.count ? { publication, delivered: counts } : { publication };
  }

  async history(ns: string, channel: string, query: HistoryQuery): Promise<HistoryResult> {
    const state = this.channelsByNs.get(ns)?.get(channel);
    if (!state) return { publications: [], top: 0 };
    const top = state.next - 1;
    const ring = state.history;
    if ('last' in query) return { publications: ring.slice(ring.size - query.last), top };
    const oldest = ring.at(0);
    // Ords in the buffer are contiguous, so the position of `after` is arithmetic.
    const from = oldest ? Math.max(0, query.after - oldest.ord + 1) : 0;
    const publications = ring.slice(from);
    if (query.limit !== undefined && publications.length > query.limit) publications.length = query.limit;
    return { publications, top };
  }

  async channels(ns: string): Promise<ChannelInfo[]> {
    const out: ChannelInfo[] = [];
    for (const [name, state] of this.channelsByNs.get(ns) ?? []) {
      const last = state.history.at(state.history.size - 1);
      out.push(last ? { name, top: state.next - 1, last } : { name, top: state.next - 1 });
    }
    return out;
  }

  // The next publish starts the channel again from `firstOrd` (the clock by default), raised
  // above the namespace's highest dropped ord, so nothing is kept per dropped channel.
  async dropChannel(ns: string, channel: string): Promise<void> {
    const state = this.channelsByNs.get(ns)?.get(channel);
    if (!state) return;
    this.channelsByNs.get(ns)!.delete(channel);
    this.droppedTop.set(ns, Math.max(this.droppedTop.get(ns) ?? 0, state.next - 1));
  }

  // One node holds every subscriber: it is handed every publication anyway.
  async watch(_ns: string, _channel: string): Promise<void> {}

  async unwatch(_ns: string, _channel: string): Promise<void> {}

  async watchNamespace(_ns: string): Promise<void> {}

  async unwatchNamespace(_ns: string): Promise<void> {}

  private channel(ns: string, name: string, historySize: number): ChannelState {
    let channels = this.channelsByNs.get(ns);
    if (!channels) {
      channels = new Map();
      this.channelsByNs.set(ns, channels);
    }
    let state = channels.get(name);
    if (!state) {
      state = {
        next: Math.max(this.firstOrd(), (this.droppedTop.get(ns) ?? 0) + 1),
        history: new Ring(historySize),
      };
      channels.set(name, state);
    } else if (state.history.capacity !== historySize) {
      state.history = state.history.resized(historySize); // config reloaded with another size
    }
    return state;
  }
}
