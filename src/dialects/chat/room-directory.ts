import type { Hub } from '../../core/hub.js';
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
 */
export class RoomDirectory {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly hub: Hub,
    private readonly namespace: string,
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

  /** The channel to publish a message for room `name` to: an existing room's, or `name` itself. */
  async resolve(name: string): Promise<string> {
    const found = await this.find(name);
    if (found !== undefined) return found;
    this.note(name);
    return this.names.get(name.toLowerCase())!;
  }

  /** Read every channel of the namespace, learning their names; returns them as listed. */
  async refresh(): Promise<ChannelInfo[]> {
    const channels = await this.hub.channels(this.namespace);
    for (const c of channels) this.note(c.name);
    return channels;
  }
}
