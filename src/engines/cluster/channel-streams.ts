import type { DeliveryCount, Publication } from '../../core/types.js';
import type { Envelope } from './envelope.js';

/** What the streams need from the engine. */
export interface StreamDeps {
  /** Hand one publication to the node (handlers.onPublication). */
  deliver(ns: string, p: Publication): DeliveryCount;
  /** Answer a publisher that waits for delivery counts. */
  answerCount(request: { id: string; node: number }, counts: DeliveryCount): void;
  /** Buffered publications with ord > after, oldest first. */
  historyAfter(ns: string, channel: string, after: number): Promise<Publication[]>;
  /** Channels of the namespace published to at or after `sinceMs` (Redis clock). */
  channelsSince(ns: string, sinceMs: number): Promise<string[]>;
  onError(err: unknown, what: string): void;
}

interface Stream {
  ns: string;
  channel: string;
  /** Newest ord handed to the node; undefined until the baseline is known (live traffic waits). */
  lastOrd: number | undefined;
  /** Live envelopes held while the baseline is read or a gap is repaired. */
  held: Envelope[];
  repairing: boolean;
  /** Watched by name (not only seen through the namespace topic). */
  explicit: boolean;
  /**
   * First heard while its namespace's SUBSCRIBE was being set up: what was published between the
   * watch's start and the SUBSCRIBE is read from history by `namespaceSubscribed` before any of
   * the held live traffic is delivered.
   */
  awaitingCatchUp: boolean;
  seenAt: number;
}

const ZERO: DeliveryCount = { delivered: 0, failed: 0 };
/** Streams only seen through a namespace watch are forgotten after this long without traffic. */
const IDLE_FORGET_MS = 10 * 60_000;
const REPAIR_RETRY_MS = 500;

/**
 * Per-channel ordering of live traffic on one node: each publication reaches the node once, in
 * ord order, with no gap. Redis pub/sub already delivers one channel's messages in publish order
 * on one connection; what this adds is
 * - dedupe: a channel watched by name and through its namespace arrives twice (two topics);
 * - a baseline: messages that raced a new watch are dropped when at or below the top read after
 *   the SUBSCRIBE was confirmed (they are in history, where the hub's subscribe reads them);
 * - gap repair: pub/sub loses what is published while the connection is down, so an ord that
 *   skips is held while the missing ords are read from history, then delivered after them. After a
 *   reconnect every stream is repaired at once rather than waiting for the next live message.
 *   Ords older than the history window cannot be repaired; the stream then jumps ahead.
 */
export class ChannelStreams {
  private readonly streams = new Map<string, Stream>();
  /** Namespaces watched as a whole → Redis time of the newest publication seen there. */
  private readonly namespaces = new Map<string, number>();
  /** Namespaces whose watch has started and whose SUBSCRIBE is not yet confirmed → start time. */
  private readonly catchingUp = new Map<string, number>();

  constructor(private readonly deps: StreamDeps) {}

  private static key(ns: string, channel: string): string {
    return `${ns}\0${channel}`;
  }

  /**
   * A channel is watched by name. Returns true when its baseline must be set with `setBaseline`
   * (a stream that already exists through a namespace watch is continuous as it is).
   */
  open(ns: string, channel: string): boolean {
    const existing = this.streams.get(ChannelStreams.key(ns, channel));
    if (existing) {
      existing.explicit = true;
      return false;
    }
    this.streams.set(ChannelStreams.key(ns, channel), this.make(ns, channel, undefined, true));
    return true;
  }

  setBaseline(ns: string, channel: string, top: number): void {
    const s = this.streams.get(ChannelStreams.key(ns, channel));
    if (!s || s.lastOrd !== undefined) return;
    s.lastOrd = top;
    this.drain(s, false);
  }

  close(ns: string, channel: string): void {
    const key = ChannelStreams.key(ns, channel);
    const s = this.streams.get(key);
    if (!s) return;
    s.explicit = false;
    if (!this.namespaces.has(ns)) this.forget(key, s);
  }

  /**
   * A namespace is watched from `sinceMs` (Redis time read before its SUBSCRIBE was sent). Call
   * `namespaceSubscribed` once the SUBSCRIBE is confirmed: until then the namespace is catching up.
   */
  watchNamespace(ns: string, sinceMs: number): void {
    if (this.namespaces.has(ns)) return;
    this.namespaces.set(ns, sinceMs);
    this.catchingUp.set(ns, sinceMs);
  }

  /**
   * The namespace topic's SUBSCRIBE is confirmed: every later publication arrives live. Those
   * published since the watch started and before the SUBSCRIBE took effect were not heard at all;
   * they are read from history and delivered ahead of any live traffic held meanwhile, so a node
   * whose first watcher of a namespace arrives while others publish loses nothing.
   */
  async namespaceSubscribed(ns: string): Promise<void> {
    const since = this.catchingUp.get(ns);
    if (since === undefined) return;
    try {
      await this.discover(ns, since);
    } finally {
      this.catchingUp.delete(ns);
      // A stream still waiting (its channel was not listed, or its read failed): start it at its
      // first held message rather than hold it forever.
      for (const s of this.streams.values()) {
        if (s.ns !== ns || !s.awaitingCatchUp) continue;
        s.awaitingCatchUp = false;
        if (s.lastOrd === undefined) {
          const first = s.held.reduce((min, e) => Math.min(min, e.publication.ord), Number.POSITIVE_INFINITY);
          s.lastOrd = Number.isFinite(first) ? first - 1 : 0;
          this.drain(s, true);
        }
      }
    }
  }

  unwatchNamespace(ns: string): void {
    this.namespaces.delete(ns);
    this.catchingUp.delete(ns);
    for (const [key, s] of this.streams) if (s.ns === ns && !s.explicit) this.forget(key, s);
  }

  onMessage(env: Envelope): void {
    const { ns, publication: p } = env;
    const key = ChannelStreams.key(ns, p.channel);
    let s = this.streams.get(key);
    const nsSeen = this.namespaces.get(ns);
    if (nsSeen !== undefined && p.time > nsSeen) this.namespaces.set(ns, p.time);
    if (!s) {
      if (nsSeen === undefined) {
        this.answer(env, ZERO); // raced an unwatch
        return;
      }
      if (this.catchingUp.has(ns)) {
        // Held until namespaceSubscribed has read what came before it.
        s = this.make(ns, p.channel, undefined, false);
        s.awaitingCatchUp = true;
      } else {
        s = this.make(ns, p.channel, p.ord - 1, false);
      }
      this.streams.set(key, s);
    }
    s.seenAt = Date.now();
    if (s.lastOrd === undefined || s.repairing) s.held.push(env);
    else this.accept(s, env, false);
  }

  /** After a reconnect: repair every stream, and find channels of watched namespaces we missed. */
  resync(): void {
    for (const s of this.streams.values()) if (s.lastOrd !== undefined && !s.repairing) void this.repair(s);
    for (const [ns, since] of this.namespaces) void this.discover(ns, since);
  }

  /** Forget namespace-only streams that have been quiet for a while (bounded memory). */
  sweep(now = Date.now()): void {
    for (const [key, s] of this.streams) {
      if (!s.explicit && !s.repairing && s.held.length === 0 && now - s.seenAt > IDLE_FORGET_MS) {
        this.streams.delete(key);
      }
    }
  }

  get size(): number {
    return this.streams.size;
  }

  private make(ns: string, channel: string, lastOrd: number | undefined, explicit: boolean): Stream {
    return {
      ns,
      channel,
      lastOrd,
      held: [],
      repairing: false,
      explicit,
      awaitingCatchUp: false,
      seenAt: Date.now(),
    };
  }

  private forget(key: string, s: Stream): void {
    this.streams.delete(key);
    for (const env of s.held) this.answer(env, ZERO);
    s.held = [];
  }

  private accept(s: Stream, env: Envelope, allowJump: boolean): void {
    const p = env.publication;
    const last = s.lastOrd!;
    if (p.ord <= last) {
      this.answer(env, ZERO); // duplicate (second topic) or pre-baseline
      return;
    }
    if (p.ord > last + 1 && !allowJump) {
      s.held.push(env);
      void this.repair(s);
      return;
    }
    s.lastOrd = p.ord;
    this.answer(env, this.deliver(s.ns, p));
  }

  private drain(s: Stream, allowJump: boolean): void {
    const held = s.held.sort((a, b) => a.publication.ord - b.publication.ord);
    s.held = [];
    for (let i = 0; i < held.length; i++) {
      if (s.repairing) {
        s.held.push(...held.slice(i)); // a new gap opened a repair: keep the rest for after it
        return;
      }
      this.accept(s, held[i]!, allowJump);
    }
  }

  private async repair(s: Stream): Promise<void> {
    if (s.repairing || s.lastOrd === undefined) return;
    s.repairing = true;
    let missing: Publication[];
    try {
      missing = await this.deps.historyAfter(s.ns, s.channel, s.lastOrd);
    } catch (err) {
      s.repairing = false;
      if (this.current(s)) {
        this.deps.onError(err, `repairing channel "${s.channel}"`);
        setTimeout(() => {
          if (this.current(s)) void this.repair(s);
        }, REPAIR_RETRY_MS).unref();
      }
      return;
    }
    s.repairing = false;
    if (!this.current(s)) return;
    for (const p of missing) {
      if (p.ord <= s.lastOrd) continue;
      s.lastOrd = p.ord;
      // A held live copy carries the publisher's count request: answer it with this delivery.
      const i = s.held.findIndex((env) => env.publication.ord === p.ord);
      const env = i >= 0 ? s.held.splice(i, 1)[0] : undefined;
      const counts = this.deliver(s.ns, env ? env.publication : p);
      if (env) this.answer(env, counts);
    }
    // Whatever is still missing is older than the history window: accept the jump.
    this.drain(s, true);
  }

  /** Channels of a watched namespace published to while we were not listening. */
  private async discover(ns: string, since: number): Promise<void> {
    // A resync during the namespace's first catch-up: `since` has moved on with the live
    // traffic held meanwhile, but what that catch-up has not delivered yet starts at the watch.
    const watchedFrom = this.catchingUp.get(ns);
    if (watchedFrom !== undefined && watchedFrom < since) since = watchedFrom;
    let names: string[];
    try {
      names = await this.deps.channelsSince(ns, since);
    } catch (err) {
      this.deps.onError(err, `resync of namespace "${ns}"`);
      return;
    }
    for (const channel of names) {
      const key = ChannelStreams.key(ns, channel);
      const existing = this.streams.get(key);
      if ((existing && !existing.awaitingCatchUp) || !this.namespaces.has(ns)) continue;
      // Never seen here (or only held live traffic so far): deliver what was published since we
      // last heard from the namespace, then what was held.
      const s = existing ?? this.make(ns, channel, undefined, false);
      s.awaitingCatchUp = false;
      this.streams.set(key, s);
      try {
        const pubs = await this.deps.historyAfter(ns, channel, 0);
        if (!this.current(s)) continue;
        let last = pubs.length > 0 ? pubs[0]!.ord - 1 : 0;
        for (const p of pubs) {
          if (p.time >= since) this.deliver(ns, p);
          last = p.ord;
        }
        s.lastOrd = last;
        this.drain(s, true);
      } catch (err) {
        this.forget(key, s);
        this.deps.onError(err, `resync of channel "${channel}"`);
      }
    }
  }

  private current(s: Stream): boolean {
    return this.streams.get(ChannelStreams.key(s.ns, s.channel)) === s;
  }

  private deliver(ns: string, p: Publication): DeliveryCount {
    try {
      return this.deps.deliver(ns, p);
    } catch (err) {
      this.deps.onError(err, 'delivering a publication');
      return ZERO;
    }
  }

  private answer(env: Envelope, counts: DeliveryCount): void {
    if (env.countRequest) this.deps.answerCount(env.countRequest, counts);
  }
}
