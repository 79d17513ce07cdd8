import type { ChannelInfo, Publication, PublishInput } from '../../core/types.js';
import type { HistoryQuery, HistoryResult } from '../channel-log.js';
import type { ChannelTransport, TransportSink } from '../cluster/channel-transport.js';
import type { CountRequest } from '../cluster/envelope.js';
import { decodeEntry, decodeEnvelope, entryBody, envelopeHead } from './codec.js';
import type { Client } from './connection.js';
import { unavailable } from './errors.js';
import type { Keys } from './keys.js';
import {
  type BatcherOptions,
  type PublishArgs,
  PublishBatcher,
  type PublishOutcome,
} from './publish-batcher.js';
import type { Topics } from './topic-table.js';

/**
 * Channels on one Redis: the publish, history and channel-listing scripts (lua/), one pub/sub topic
 * per channel and one per namespace. Everything engine-neutral about watching (ordering, dedupe,
 * gap repair, counts) is in the cluster layer (cluster/cluster-channel-log.ts).
 */
export class RedisChannelTransport implements ChannelTransport {
  protected sink: TransportSink | undefined;
  /** The cluster's data epoch as this node knows it (see lua.ts). */
  epoch = '';

  constructor(
    protected readonly cmd: Client,
    private readonly sub: Topics,
    protected readonly keys: Keys,
    protected readonly ttl: { historySeconds: number; ordSeconds: number },
    /** The master was checked since the last reconnect (master-guard.ts). */
    private readonly master: { readonly ok: boolean },
    publishing: BatcherOptions,
  ) {
    sub.onResync(() => this.sink?.onResync());
    this.waitMs = publishing.timeoutMs;
    this.publisher = new PublishBatcher(
      {
        one: (args, deadline) => this.publishOne(args, deadline),
        many: (items) => this.publishMany(items),
      },
      publishing,
    );
  }

  bind(sink: TransportSink): void {
    this.sink = sink;
  }

  protected readonly onMessage = (raw: string): void => {
    this.sink?.onEnvelope(decodeEnvelope(raw));
  };

  /** The node's publications on their way to Redis: deadline, batching (publish-batcher.ts). */
  protected readonly publisher: PublishBatcher;
  /** How long one engine call may take (engine.command_timeout_ms). */
  protected readonly waitMs: number;

  /** A read, which may be tried again: on one Redis it is simply run (Redis Cluster: shard-transport.ts). */
  protected read<T>(command: () => Promise<T>): Promise<T> {
    return command();
  }

  async append(
    ns: string,
    channel: string,
    input: PublishInput,
    options: { historySize: number; countRequest?: CountRequest },
  ): Promise<{ publication: Publication; receivers: number }> {
    if (!this.master.ok)
      throw unavailable('publish', new Error('the Redis master is not checked yet (reconnecting)'));
    const { ord, time, receivers } = await this.publisher.submit({
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
    });
    return { publication: { ...input, channel, ord, time }, receivers };
  }

  /** One publication, one publish.lua call. */
  protected async publishOne(a: PublishArgs, deadline: number): Promise<PublishOutcome> {
    const [ord, time, receivers, epoch] = await this.cmd.sbPublish(
      a.ordKey,
      a.historyKey,
      a.channelsKey,
      this.keys.epoch(),
      this.keys.ordBase(),
      a.cutKey,
      a.body,
      a.head,
      a.historySize,
      this.ttl.historySeconds,
      this.ttl.ordSeconds,
      a.channel,
      a.channelTopic,
      a.namespaceTopic,
      this.epoch,
      deadline,
    );
    if (ord < 0) return { expired: true };
    this.epoch = epoch; // changed only after a data loss, once per cluster
    return { ord, time, receivers };
  }

  /** Several publications, one publish-batch.lua call (publish-batcher.ts says when). */
  private async publishMany(items: { args: PublishArgs; deadline: number }[]): Promise<PublishOutcome[]> {
    const keys: string[] = [this.keys.epoch(), this.keys.ordBase()];
    const argv: (string | number)[] = [this.ttl.historySeconds, this.ttl.ordSeconds, this.epoch];
    for (const { args: a, deadline } of items) {
      keys.push(a.ordKey, a.historyKey, a.channelsKey, a.cutKey);
      argv.push(a.body, a.head, a.historySize, a.channel, a.channelTopic, a.namespaceTopic, deadline);
    }
    const reply = await this.cmd.sbPublishBatch(keys.length, ...keys, ...argv);
    this.epoch = String(reply[0]);
    const out: PublishOutcome[] = [];
    for (let i = 0; i < items.length; i++) {
      const ord = Number(reply[1 + i * 3]);
      const second = reply[2 + i * 3];
      if (ord === -1) out.push({ expired: true });
      else if (ord < 0) out.push({ error: String(second) });
      else out.push({ ord, time: Number(second), receivers: Number(reply[3 + i * 3]) });
    }
    return out;
  }

  async history(ns: string, channel: string, query: HistoryQuery): Promise<HistoryResult> {
    const [mode, n, limit] =
      'last' in query ? ['last', query.last, -1] : ['after', query.after, query.limit ?? -1];
    let reply: (string | number)[];
    try {
      reply = await this.read(() =>
        this.cmd.sbHistory(
          this.keys.ord(ns, channel),
          this.keys.history(ns, channel),
          this.keys.cut(ns, channel),
          mode,
          n,
          limit,
        ),
      );
    } catch (err) {
      throw unavailable('history read', err);
    }
    const [top, ...entries] = reply;
    return { publications: entries.map((e) => decodeEntry(String(e))), top: Number(top) };
  }

  // The ord counter stays (it expires with its TTL), so a channel started again keeps counting
  // up; the cut marker only describes the deleted history, so it goes with it.
  async dropChannel(ns: string, channel: string): Promise<void> {
    try {
      await this.cmd
        .multi()
        .zrem(this.keys.channels(ns), channel)
        .del(this.keys.history(ns, channel), this.keys.cut(ns, channel))
        .exec();
    } catch (err) {
      throw unavailable('channel drop', err);
    }
  }

  async channels(ns: string): Promise<ChannelInfo[]> {
    let flat: unknown[];
    try {
      flat = await this.cmd.sbChannels(
        this.keys.channels(ns),
        this.keys.ordPrefix(ns),
        this.keys.historyPrefix(ns),
        this.ttl.ordSeconds * 1000,
      );
    } catch (err) {
      throw unavailable('channel list', err);
    }
    const out: ChannelInfo[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const name = String(flat[i]);
      const top = Number(flat[i + 1]);
      const last = String(flat[i + 2]);
      out.push(last ? { name, top, last: decodeEntry(last) } : { name, top });
    }
    return out;
  }

  channelsSince(ns: string, sinceMs: number): Promise<string[]> {
    return this.cmd.zrangebyscore(this.keys.channels(ns), sinceMs, '+inf');
  }

  async top(ns: string, channel: string): Promise<number> {
    try {
      return Number((await this.read(() => this.cmd.get(this.keys.ord(ns, channel)))) ?? 0);
    } catch (err) {
      throw unavailable('watch', err);
    }
  }

  async now(): Promise<number> {
    try {
      const [seconds, micros] = await this.read(() => this.cmd.time());
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    } catch (err) {
      throw unavailable('watch', err);
    }
  }

  subscribeChannel(ns: string, channel: string): Promise<void> {
    return this.subscribe(this.keys.channelTopic(ns, channel));
  }

  unsubscribeChannel(ns: string, channel: string): Promise<void> {
    return this.sub.remove(this.keys.channelTopic(ns, channel), this.onMessage);
  }

  subscribeNamespace(ns: string): Promise<void> {
    return this.subscribe(this.keys.namespaceTopic(ns));
  }

  unsubscribeNamespace(ns: string): Promise<void> {
    return this.sub.remove(this.keys.namespaceTopic(ns), this.onMessage);
  }

  private async subscribe(topic: string): Promise<void> {
    try {
      await this.sub.add(topic, this.onMessage);
    } catch (err) {
      throw unavailable('watch', err);
    }
  }
}
