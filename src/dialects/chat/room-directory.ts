import { ChannelBound } from '../../core/channel-bound.js';
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
 *
 * Rooms are bounded (`chat.max_rooms`, by the ChannelBound every client-made channel has):
 * anonymous clients create them by posting. Creating one more evicts the least recently active
 * rooms with their history.
 */
export class RoomDirectory {
  private readonly bound: ChannelBound;

  constructor(hub: Hub, namespace: string, maxRooms: number = Number.POSITIVE_INFINITY) {
    this.bound = new ChannelBound(hub, namespace, maxRooms, 'chat_max_rooms', (name) => name.toLowerCase());
  }

  /** Learn a channel name; the first casing seen wins. */
  note(channel: string): void {
    this.bound.note(channel);
  }

  /** The channel of an existing room, or undefined. Asks the engine when the name is new here. */
  async find(name: string): Promise<string | undefined> {
    const known = this.bound.known(name);
    if (known !== undefined) return known;
    await this.bound.refresh();
    return this.bound.known(name);
  }

  /**
   * The channel to publish a message for room `name` to: an existing room's, or `name` itself.
   * `mayCreate` is asked before a new room is made; false refuses it (resolve returns undefined).
   */
  async resolve(name: string, mayCreate: () => boolean = () => true): Promise<string | undefined> {
    const found = await this.find(name);
    if (found !== undefined) return found;
    if (!mayCreate()) return undefined;
    return this.bound.admit(name);
  }

  /** Read every channel of the namespace, learning their names; returns them as listed. */
  refresh(): Promise<ChannelInfo[]> {
    return this.bound.refresh();
  }
}
