import type { Cluster } from 'ioredis';
import type { ChannelInfo, Publication, PublishInput } from '../../core/types.js';
import type { CountRequest } from '../cluster/envelope.js';
import { RedisChannelTransport } from './channel-transport.js';
import { decodeEntry, entryBody, envelopeHead, messageOf } from './codec.js';
import { unavailable } from './errors.js';
import type { PublishArgs, PublishOutcome } from './publish-batcher.js';
import { whileSlotMoves } from './slot-retry.js';

/**
 * A channel's entry in the namespace index is refreshed at most this often per node: the index
 * lives in the namespace's slot, and one write per publication would make that one shard a
 * bottleneck for every channel of the namespace. `channelsSince` widens its window by as much.
 */
const INDEX_EVERY_MS = 1000;

/**
 * Channels on Redis Cluster (keys.ts for the layout). The channel's own step is one script in the
 * channel's slot (publish-shard.lua: ord, history, sharded channel topic), so one order per channel
 * holds as on one Redis and a publication crosses only its own shard. What is namespace-wide
 * lives in the namespace's slot and is written by the node right after the script, in the same
 * round trip: the sharded namespace topic (chat watchers) and the namespace's channel index (room
 * lists, admin, a namespace watch's catch-up). A node that dies between the two steps leaves a
 * publication that is in the history but was not sent on the namespace topic: namespace watchers
 * pick it up with the channel's next publication (gap repair).
 */
export class ShardChannelTransport extends RedisChannelTransport {
  /** `<index key>\0<channel>` → when this node last wrote the channel into the namespace index. */
  private readonly indexed = new Map<string, number>();

  override async append(
    ns: string,
    channel: string,
    input: PublishInput,
    options: { historySize: number; countRequest?: CountRequest },
  ): Promise<{ publication: Publication; receivers: number }> {
    const args: PublishArgs = {
      ordKey: this.keys.ord(ns, channel),
      historyKey: this.keys.history(ns, channel),
      channelsKey: this.keys.channels(ns),
      cutKey: this.keys.cut(ns, channel),
      body: entryBody(channel, input),
      head: envelopeHead(ns, options.countRequest),
      historySize: options.historySize,
      channel,
      channelTopic: this.keys.channelTopic(ns, channel),
      namespaceTopic: this.keys.namespaceTopic(ns),
    };
    // The channel's own step, with the deadline of every publication (publish-batcher.ts).
    const { ord, time, receivers } = await this.publisher.submit(args);
    // The namespace step once the publication is in: it never makes a publication look
    // unpublished (an error here is only logged by nobody: see the class comment).
    let namespaceReceivers = 0;
    try {
      namespaceReceivers = await this.namespaceStep(args, time, messageOf(args.head, ord, time, args.body));
    } catch {
      // stored and on the channel's topic; namespace watchers repair with the next publication
    }
    return { publication: { ...input, channel, ord, time }, receivers: receivers + namespaceReceivers };
  }

  /**
   * A read refused while its slot's master changes (a node started during a failover still maps
   * the slot to the dead master) is tried again for up to engine.command_timeout_ms.
   */
  protected override read<T>(command: () => Promise<T>): Promise<T> {
    return whileSlotMoves(this.cmd as unknown as Cluster, this.waitMs, command);
  }

  /** publish-shard.lua: the keys and topic of the channel's slot only. */
  protected override async publishOne(a: PublishArgs, deadline: number): Promise<PublishOutcome> {
    const [ord, time, receivers] = await this.cmd.sbPublishShard(
      a.ordKey,
      a.historyKey,
      a.cutKey,
      this.keys.masterIdOf(a.ordKey),
      a.body,
      a.head,
      a.historySize,
      this.ttl.historySeconds,
      this.ttl.ordSeconds,
      a.channelTopic,
      deadline,
    );
    if (ord < 0) return { expired: true };
    return { ord, time, receivers };
  }

  private async namespaceStep(a: PublishArgs, time: number, message: string): Promise<number> {
    const key = `${a.channelsKey}\0${a.channel}`;
    const now = Date.now();
    const last = this.indexed.get(key);
    if (last !== undefined && now - last < INDEX_EVERY_MS) {
      return Number(await this.cmd.spublish(a.namespaceTopic, message));
    }
    this.indexed.set(key, now);
    if (this.indexed.size > 100_000) this.indexed.clear(); // bounded: at worst a few extra writes
    const [published] = await Promise.all([
      this.cmd.spublish(a.namespaceTopic, message),
      this.cmd.zadd(a.channelsKey, time, a.channel),
      this.cmd.expire(a.channelsKey, this.ttl.ordSeconds),
    ]);
    return Number(published);
  }

  override async dropChannel(ns: string, channel: string): Promise<void> {
    try {
      await Promise.all([
        this.cmd.zrem(this.keys.channels(ns), channel),
        this.cmd.del(this.keys.history(ns, channel), this.keys.cut(ns, channel)),
      ]);
      this.indexed.delete(`${this.keys.channels(ns)}\0${channel}`);
    } catch (err) {
      throw unavailable('channel drop', err);
    }
  }

  /** The index and each channel's keys are in different slots: read them one by one. */
  override async channels(ns: string): Promise<ChannelInfo[]> {
    try {
      const chans = this.keys.channels(ns);
      const [seconds] = await this.cmd.time();
      await this.cmd.zremrangebyscore(
        chans,
        '-inf',
        String(Number(seconds) * 1000 - this.ttl.ordSeconds * 1000),
      );
      const names = await this.cmd.zrange(chans, '0', '-1');
      const out = await Promise.all(
        names.map(async (name): Promise<ChannelInfo | undefined> => {
          const [top, last] = await Promise.all([
            this.cmd.get(this.keys.ord(ns, name)),
            this.cmd.lindex(this.keys.history(ns, name), -1),
          ]);
          if (top === null) return undefined;
          return last ? { name, top: Number(top), last: decodeEntry(last) } : { name, top: Number(top) };
        }),
      );
      return out.filter((c): c is ChannelInfo => c !== undefined);
    } catch (err) {
      throw unavailable('channel list', err);
    }
  }

  override channelsSince(ns: string, sinceMs: number): Promise<string[]> {
    return this.cmd.zrangebyscore(this.keys.channels(ns), sinceMs - INDEX_EVERY_MS, '+inf');
  }
}
