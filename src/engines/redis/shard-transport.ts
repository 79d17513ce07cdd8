import type { ChannelInfo, Publication, PublishInput } from '../../core/types.js';
import type { CountRequest } from '../cluster/envelope.js';
import { RedisChannelTransport } from './channel-transport.js';
import { decodeEntry, entryBody, envelopeHead, messageOf } from './codec.js';
import { unavailable } from './errors.js';

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
  /** `<ns>\0<channel>` → when this node last wrote the channel into the namespace index. */
  private readonly indexed = new Map<string, number>();

  override async append(
    ns: string,
    channel: string,
    input: PublishInput,
    options: { historySize: number; countRequest?: CountRequest },
  ): Promise<{ publication: Publication; receivers: number }> {
    const body = entryBody(channel, input);
    const head = envelopeHead(ns, options.countRequest);
    let reply: [number, number, number];
    try {
      reply = await this.cmd.sbPublishShard(
        this.keys.ord(ns, channel),
        this.keys.history(ns, channel),
        this.keys.cut(ns, channel),
        this.keys.masterId(ns, channel),
        body,
        head,
        options.historySize,
        this.ttl.historySeconds,
        this.ttl.ordSeconds,
        this.keys.channelTopic(ns, channel),
      );
    } catch (err) {
      throw unavailable('publish', err);
    }
    const [ord, time, channelReceivers] = reply;
    const message = messageOf(head, ord, time, body); // the one the script sent

    let namespaceReceivers = 0;
    try {
      namespaceReceivers = await this.namespaceStep(ns, channel, time, message);
    } catch {
      // The publication is stored and on the channel's topic; see the class comment.
    }
    return {
      publication: { ...input, channel, ord, time },
      receivers: channelReceivers + namespaceReceivers,
    };
  }

  private async namespaceStep(ns: string, channel: string, time: number, message: string): Promise<number> {
    const key = `${ns}\0${channel}`;
    const now = Date.now();
    const last = this.indexed.get(key);
    if (last !== undefined && now - last < INDEX_EVERY_MS) {
      return Number(await this.cmd.spublish(this.keys.namespaceTopic(ns), message));
    }
    this.indexed.set(key, now);
    if (this.indexed.size > 100_000) this.indexed.clear(); // bounded: at worst a few extra writes
    const chans = this.keys.channels(ns);
    const [published] = await Promise.all([
      this.cmd.spublish(this.keys.namespaceTopic(ns), message),
      this.cmd.zadd(chans, time, channel),
      this.cmd.expire(chans, this.ttl.ordSeconds),
    ]);
    return Number(published);
  }

  override async dropChannel(ns: string, channel: string): Promise<void> {
    try {
      await Promise.all([
        this.cmd.zrem(this.keys.channels(ns), channel),
        this.cmd.del(this.keys.history(ns, channel), this.keys.cut(ns, channel)),
      ]);
      this.indexed.delete(`${ns}\0${channel}`);
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
