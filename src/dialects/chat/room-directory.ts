import type { Hub } from '../../core/hub.js';
import { countLimit } from '../../core/limit-counters.js';
import type { ChannelInfo } from '../../core/types.js';

/**
 * Case-insensitive room names over case-sensitive channels. nane finds a room whatever the case
 * of the name it is given and keeps the casing it was created with; here a room IS a channel of
 * the chat namespace, named with that first casing, and this directory maps lower case → channel.
 *
 * It learns names from `hub.channels` (at start, and again whenever a name is not known yet, so
 * rooms created by another dialect or another node of a cluster are found too) and from every
 * publication the dialect renders. A channel that another dialect created with a different casing
 * of a known room stays a channel of its own: other dialects address channels exactly.
 *
 * Rooms are bounded (`chat.max_rooms`): anonymous clients create them by posting. Creating one
 * more evicts the least recently active rooms (oldest last message, as the engine lists them, so
 * every node of a cluster agrees) with their history.
 */
export class RoomDirectory {
  private names = new Map<string, string>();

  constructor(
    private readonly hub: Hub,
    private readonly namespace: string,
    private readonly maxRooms: number = Number.POSITIVE_INFINITY,
  ) {}

  /** Learn a channel name; the first casing seen wins. */
  note(channel: string): void {
    const key = channel.toLowerCase();
    if (!this.names.has(key)) this.names.set(key, channel);
  }

  /** The channel of an existing room, or undefined. Asks the engine when the name is new here. */
  async find(name: string): Promise<string | undefined> {
    const known = this.names.get(name.toLowerCase());
    if (known !== undefined) return known;
    await this.refresh();
    return this.names.get(name.toLowerCase());
  }

  /**
   * The channel to publish a message for room `name` to: an existing room's, or `name` itself.
   * `mayCreate` is asked before a new room is made; false refuses it (resolve returns undefined).
   */
  async resolve(name: string, mayCreate: () => boolean = () => true): Promise<string | undefined> {
    const found = await this.find(name);
    if (found !== undefined) return found;
    if (!mayCreate()) return undefined;
    await this.makeRoomFor();
    this.note(name);
    return this.names.get(name.toLowerCase())!;
  }

  /** Read every channel of the namespace, learning their names; returns them as listed. */
  async refresh(): Promise<ChannelInfo[]> {
    const channels = await this.hub.channels(this.namespace);
    // Rebuilt from the listing, so names of rooms evicted elsewhere do not pile up here.
    const names = new Map<string, string>();
    for (const c of channels) {
      const key = c.name.toLowerCase();
      if (!names.has(key)) names.set(key, this.names.get(key) ?? c.name);
    }
    this.names = names;
    return channels;
  }

  /** Evict the least recently active rooms until one more fits. */
  private async makeRoomFor(): Promise<void> {
    if (this.names.size < this.maxRooms) return;
    const channels = await this.refresh();
    const excess = channels.length + 1 - this.maxRooms;
    if (excess <= 0) return;
    const oldest = channels
      .map((c) => ({ name: c.name, time: c.last?.time ?? 0 }))
      .sort((a, b) => a.time - b.time)
      .slice(0, excess);
    for (const room of oldest) {
      await this.hub.dropChannel(this.namespace, room.name);
      this.names.delete(room.name.toLowerCase());
      countLimit('chat_max_rooms');
    }
  }
}
