/**
 * Channels of one vhost that rocket clients on this node have subscribed to. In WebRocket a
 * channel, once created by a subscribe, exists until the vhost goes away; `broadcast` needs an
 * existing channel. Channels that were ever published to are known to the engine (their `top` is
 * above 0); this remembers the ones that were only subscribed to. Bounded: past `capacity` the
 * oldest names are forgotten (a forgotten channel still exists while it has subscribers on this
 * node or once anything was published to it).
 */
export class KnownChannels {
  private readonly names = new Set<string>();

  constructor(private readonly capacity = 100_000) {}

  add(channel: string): void {
    if (this.names.has(channel)) return;
    if (this.names.size >= this.capacity) {
      const oldest = this.names.values().next();
      if (!oldest.done) this.names.delete(oldest.value);
    }
    this.names.add(channel);
  }

  has(channel: string): boolean {
    return this.names.has(channel);
  }

  get size(): number {
    return this.names.size;
  }
}
