import type { JoinResult, PresenceJoin, PresenceMember, PresenceStore } from '../presence.js';

interface ChannelPresence {
  /** connection → user id */
  connections: Map<string, string>;
  /** user id → its member record and how many connections it has here */
  users: Map<string, { member: PresenceMember; connections: number }>;
}

/** Presence of the single-node engine: maps in this process. Nothing can die without it. */
export class MemoryPresence implements PresenceStore {
  private readonly byNs = new Map<string, Map<string, ChannelPresence>>();
  onDeparted?: PresenceStore['onDeparted'];

  async join(ns: string, channel: string, join: PresenceJoin): Promise<JoinResult> {
    let channels = this.byNs.get(ns);
    if (!channels) {
      channels = new Map();
      this.byNs.set(ns, channels);
    }
    let c = channels.get(channel);
    if (!c) {
      c = { connections: new Map(), users: new Map() };
      channels.set(channel, c);
    }
    const previous = c.connections.get(join.connection);
    if (previous !== undefined) return { full: false, first: false };
    const user = c.users.get(join.member.userId);
    if (user === undefined && c.users.size >= join.maxMembers) {
      if (c.connections.size === 0) channels.delete(channel);
      return { full: true };
    }
    c.connections.set(join.connection, join.member.userId);
    if (user) {
      user.connections++;
      return { full: false, first: false };
    }
    c.users.set(join.member.userId, { member: join.member, connections: 1 });
    return { full: false, first: true };
  }

  async leave(ns: string, channel: string, connection: string) {
    const channels = this.byNs.get(ns);
    const c = channels?.get(channel);
    const userId = c?.connections.get(connection);
    if (!c || userId === undefined) return undefined;
    c.connections.delete(connection);
    const user = c.users.get(userId)!;
    user.connections--;
    const last = user.connections === 0;
    if (last) c.users.delete(userId);
    if (c.connections.size === 0) channels!.delete(channel);
    return { userId, last };
  }

  async members(ns: string, channel: string): Promise<PresenceMember[]> {
    const c = this.byNs.get(ns)?.get(channel);
    return c ? [...c.users.values()].map((u) => u.member) : [];
  }

  async channels(ns: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [name, c] of this.byNs.get(ns) ?? []) out.set(name, c.users.size);
    return out;
  }

  async close(): Promise<void> {
    this.byNs.clear();
  }
}
