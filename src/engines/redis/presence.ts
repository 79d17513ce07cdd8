/**
 * Presence in Redis (engines/presence.ts for the contract). Per channel three hashes:
 * `pres:<ns,ch>:c` connection → `node|user`, `:u` user → connections, `:i` user → info (JSON);
 * `presch:<ns>` the namespace's channels with members; `presnode:<id>` the channels where node id
 * has members and `presnodes` the nodes that have any, so that a survivor can find what a dead
 * node left. Every change is one Lua script (lua/presence-*.lua), so of two callers racing over a user's first join,
 * last leave or a dead node's eviction exactly one sees the transition.
 */
import type { Redis } from 'ioredis';
import type { Departure, JoinResult, PresenceJoin, PresenceMember, PresenceStore } from '../presence.js';
import { unavailable } from './errors.js';
import { PRESENCE_EVICT, PRESENCE_JOIN, PRESENCE_LEAVE } from './lua.js';

type Scripts = {
  presJoin(...args: (string | number)[]): Promise<number>;
  presLeave(...args: string[]): Promise<[string, number] | null>;
  presEvict(...args: string[]): Promise<string[]>;
};

const nsPart = (ns: string) => `${ns.length}:${ns}`;
const pair = (ns: string, ch: string) => `${ns.length}:${ns}:${ch}`;

function unpair(text: string): { ns: string; channel: string } | undefined {
  const colon = text.indexOf(':');
  const len = Number(text.slice(0, colon));
  if (colon < 0 || !Number.isInteger(len)) return undefined;
  return { ns: text.slice(colon + 1, colon + 1 + len), channel: text.slice(colon + 2 + len) };
}

export interface RedisPresenceOptions {
  prefix: string;
  nodeId: number;
  /** The nodes alive in the cluster (the engine's registry). */
  liveNodes: () => Promise<number[]>;
  onError: (err: unknown, what: string) => void;
}

export class RedisPresence implements PresenceStore {
  onDeparted?: PresenceStore['onDeparted'];
  private readonly redis: Redis & Scripts;
  private readonly p: string;
  private sweeping = false;

  constructor(
    redis: Redis,
    private readonly o: RedisPresenceOptions,
  ) {
    redis.defineCommand('presJoin', { lua: PRESENCE_JOIN, numberOfKeys: 6 });
    redis.defineCommand('presLeave', { lua: PRESENCE_LEAVE, numberOfKeys: 4 });
    redis.defineCommand('presEvict', { lua: PRESENCE_EVICT, numberOfKeys: 4 });
    this.redis = redis as Redis & Scripts;
    this.p = o.prefix.endsWith(':') ? o.prefix : `${o.prefix}:`;
  }

  private channelKeys(ns: string, ch: string): [string, string, string, string] {
    const base = `${this.p}pres:${pair(ns, ch)}`;
    return [`${base}:c`, `${base}:u`, `${base}:i`, `${this.p}presch:${nsPart(ns)}`];
  }

  async join(ns: string, ch: string, j: PresenceJoin): Promise<JoinResult> {
    const info = JSON.stringify(j.member.info ?? null);
    try {
      const r = await this.redis.presJoin(
        ...this.channelKeys(ns, ch),
        `${this.p}presnode:${j.node}`,
        `${this.p}presnodes`,
        j.connection,
        j.node,
        j.member.userId,
        info,
        j.maxMembers,
        ch,
        pair(ns, ch),
      );
      return r === -1 ? { full: true } : { full: false, first: r === 1 };
    } catch (err) {
      throw unavailable('presence join', err);
    }
  }

  async leave(ns: string, ch: string, connection: string) {
    try {
      const r = await this.redis.presLeave(...this.channelKeys(ns, ch), connection, ch);
      return r === null ? undefined : { userId: r[0], last: Number(r[1]) === 1 };
    } catch (err) {
      throw unavailable('presence leave', err);
    }
  }

  async members(ns: string, ch: string): Promise<PresenceMember[]> {
    const [, users, infos] = this.channelKeys(ns, ch);
    const [ids, raw] = await Promise.all([this.redis.hkeys(users), this.redis.hgetall(infos)]);
    return ids.map((userId) => {
      const info = raw[userId];
      const parsed = info === undefined ? null : (JSON.parse(info) as PresenceMember['info']);
      return parsed === null || parsed === undefined ? { userId } : { userId, info: parsed };
    });
  }

  async channels(ns: string): Promise<Map<string, number>> {
    const names = await this.redis.smembers(`${this.p}presch:${nsPart(ns)}`);
    const counts = await Promise.all(names.map((ch) => this.redis.hlen(this.channelKeys(ns, ch)[1])));
    const out = new Map<string, number>();
    names.forEach((ch, i) => {
      if (counts[i]! > 0) out.set(ch, counts[i]!);
    });
    return out;
  }

  /**
   * Evict what dead nodes left, and this node's own entries from a previous life (a restart
   * with the same node id: those connections are gone). Called at start and periodically.
   */
  async sweep(includeSelf = false): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const [live, known] = await Promise.all([
        this.o.liveNodes(),
        this.redis.smembers(`${this.p}presnodes`),
      ]);
      for (const text of known) {
        const node = Number(text);
        if (live.includes(node) && !(includeSelf && node === this.o.nodeId)) continue;
        await this.evictNode(node);
      }
    } catch (err) {
      this.o.onError(err, 'presence sweep');
    } finally {
      this.sweeping = false;
    }
  }

  private async evictNode(node: number): Promise<void> {
    const setKey = `${this.p}presnode:${node}`;
    const departures: Departure[] = [];
    for (const text of await this.redis.smembers(setKey)) {
      const where = unpair(text);
      if (where === undefined) continue;
      const gone = await this.redis.presEvict(
        ...this.channelKeys(where.ns, where.channel),
        String(node),
        where.channel,
      );
      for (const userId of gone) departures.push({ namespace: where.ns, channel: where.channel, userId });
      await this.redis.srem(setKey, text);
    }
    // A node that came back meanwhile re-adds itself with its next join.
    if ((await this.redis.scard(setKey)) === 0) await this.redis.srem(`${this.p}presnodes`, String(node));
    if (departures.length > 0) this.onDeparted?.(departures);
  }

  async close(): Promise<void> {}
}
