import type { Hub } from './hub.js';
import { countLimit } from './limit-counters.js';
import type { ChannelInfo } from './types.js';

/**
 * A bound on the channels with history that clients can make one namespace hold (chat rooms,
 * rocket broadcasts, Pusher client events). Every such channel outlives its connections (on
 * Redis for a day), so a client that publishes to ever new names would grow the engine without
 * end. Before a client's publication creates a channel, `admit` evicts the least recently active
 * channels of the namespace (oldest last publication, as the engine lists them, so every node of
 * a cluster agrees) with their history until one more fits, each counted under `limit`.
 *
 * Names known to exist are remembered here (at most about `max` of them), so publishing to a
 * known channel costs nothing; the engine is listed only when the count may have reached `max`.
 * Once full, every new channel needs one eviction: listing the whole namespace for each would
 * cost O(max) per new channel, which a client creating names (chat is anonymous) could turn into
 * a CPU flood. So one listing is kept as a snapshot of the oldest channels for `SNAPSHOT_MS`, and
 * the next evictions take the next-oldest from it, skipping any published to here since. On a
 * cluster, another node's publications and evictions in that window are not seen until the next
 * listing: the bound can then be passed by what other nodes create within `SNAPSHOT_MS`, and the
 * next listing evicts that excess.
 * `keyOf` lets chat find a room whatever the case of the name it is given: the first casing seen
 * is the channel's name.
 */
/** How long one listing of the namespace serves the evictions that follow it. */
const SNAPSHOT_MS = 1000;

export class ChannelBound {
  private names = new Map<string, string>();
  /** Eviction candidates of the last listing, oldest first; `next` is the first not yet used. */
  private oldest: string[] = [];
  private next = 0;
  private listedAt = Number.NEGATIVE_INFINITY;
  /** Keys of candidates published to through this node since the listing: no longer oldest. */
  private touched = new Set<string>();

  constructor(
    private readonly hub: Hub,
    private readonly namespace: string,
    private readonly max: number,
    private readonly limit: string,
    private readonly keyOf: (channel: string) => string = (channel) => channel,
  ) {}

  /** Learn a channel name; the first casing seen wins. */
  note(channel: string): void {
    const key = this.keyOf(channel);
    if (!this.names.has(key)) this.names.set(key, channel);
  }

  /** The known channel under `name`'s key, if any (no engine read). */
  known(name: string): string | undefined {
    return this.names.get(this.keyOf(name));
  }

  /** Read every channel of the namespace, learning their names; returns them as listed. */
  async refresh(): Promise<ChannelInfo[]> {
    const channels = await this.hub.channels(this.namespace);
    // Rebuilt from the listing, so names of channels evicted elsewhere do not pile up here.
    const names = new Map<string, string>();
    for (const c of channels) {
      const key = this.keyOf(c.name);
      if (!names.has(key)) names.set(key, this.names.get(key) ?? c.name);
    }
    this.names = names;
    return channels;
  }

  /**
   * Called before a client publishes to `channel`: when it is new and the namespace is full,
   * evicts the least recently active channels until it fits. Returns the name to publish to
   * (a known channel's first casing, else `channel`).
   */
  async admit(channel: string): Promise<string> {
    const found = this.known(channel);
    if (found !== undefined) {
      if (this.next < this.oldest.length) this.touched.add(this.keyOf(channel));
      return found;
    }
    if (this.names.size >= this.max) {
      const victim = this.nextOldest();
      if (victim !== undefined) await this.drop(victim);
      else {
        const channels = await this.refresh();
        const listed = this.known(channel);
        if (listed !== undefined) return listed;
        await this.evict(channels, channels.length + 1 - this.max);
      }
    }
    this.note(channel);
    return this.known(channel) ?? channel;
  }

  /** The next-oldest channel of a fresh snapshot that is still here and untouched, if any. */
  private nextOldest(): string | undefined {
    if (performance.now() - this.listedAt > SNAPSHOT_MS) return undefined;
    while (this.next < this.oldest.length) {
      const name = this.oldest[this.next++]!;
      const key = this.keyOf(name);
      if (this.names.has(key) && !this.touched.has(key)) return name;
    }
    return undefined;
  }

  private async evict(channels: ChannelInfo[], excess: number): Promise<void> {
    const byAge = channels
      .map((c) => ({ name: c.name, time: c.last?.time ?? 0 }))
      .sort((a, b) => a.time - b.time)
      .map((c) => c.name);
    // Taken before the awaits below, so admits that run meanwhile use the rest of this listing.
    this.oldest = byAge;
    this.next = Math.max(0, excess);
    this.listedAt = performance.now();
    this.touched.clear();
    for (const name of byAge.slice(0, Math.max(0, excess))) await this.drop(name);
  }

  private async drop(name: string): Promise<void> {
    this.names.delete(this.keyOf(name));
    await this.hub.dropChannel(this.namespace, name);
    countLimit(this.limit);
  }
}
