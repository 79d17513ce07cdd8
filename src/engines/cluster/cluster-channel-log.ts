import type { ChannelInfo, DeliveryCount, Publication, PublishInput } from '../../core/types.js';
import type {
  ChannelLog,
  HistoryQuery,
  HistoryResult,
  PublishOptions,
  PublishResult,
} from '../channel-log.js';
import { ChannelStreams } from './channel-streams.js';
import type { ChannelTransport } from './channel-transport.js';
import type { ControlBus } from './control-bus.js';

export interface ClusterChannelLogDeps {
  transport: ChannelTransport;
  /** Delivery counts across the cluster (mesh.publish `s`/`f`). */
  control: ControlBus;
  /** Hand one publication to this node's hub (EngineHandlers.onPublication). */
  deliver(ns: string, p: Publication): DeliveryCount;
  onError(err: unknown, what: string): void;
}

/**
 * A ChannelLog for any cluster backend: the backend's transport stores and broadcasts; this keeps
 * what every backend needs the same way — which channels and namespaces this node watches, the
 * per-channel ordering with dedupe and gap repair (channel-streams.ts), and counting deliveries
 * over the nodes for a publisher that asks.
 */
export class ClusterChannelLog implements ChannelLog {
  private readonly streams: ChannelStreams;
  private readonly transport: ChannelTransport;
  private readonly control: ControlBus;
  /** Channels watched by name, `<ns>\0<channel>`. */
  private readonly watched = new Set<string>();
  /** Namespaces watched as a whole (a separate set: no channel name can stand for one). */
  private readonly watchedNamespaces = new Set<string>();

  constructor(deps: ClusterChannelLogDeps) {
    this.transport = deps.transport;
    this.control = deps.control;
    this.streams = new ChannelStreams({
      deliver: deps.deliver,
      answerCount: (req, counts) => this.control.answerCount(req, counts),
      historyAfter: async (ns, ch, after) => (await this.transport.history(ns, ch, { after })).publications,
      channelsSince: (ns, since) => this.transport.channelsSince(ns, since),
      onError: deps.onError,
    });
    this.transport.bind({
      onEnvelope: (env) => this.streams.onMessage(env),
      onResync: () => this.streams.resync(),
    });
  }

  /** Forget idle namespace-only streams (call now and then: bounded memory). */
  sweep(): void {
    this.streams.sweep();
  }

  async publish(
    ns: string,
    channel: string,
    input: PublishInput,
    options: PublishOptions,
  ): Promise<PublishResult> {
    const countRequest = options.count ? { id: this.control.nextId(), node: this.control.nodeId } : undefined;
    // Registered before publishing: an answer may overtake the transport's own reply.
    const gather = countRequest ? this.control.gatherCounts(countRequest.id) : undefined;
    let appended: { publication: Publication; receivers: number };
    try {
      appended = await this.transport.append(ns, channel, input, {
        historySize: options.historySize,
        countRequest,
      });
    } catch (err) {
      gather?.cancel();
      throw err;
    }
    const { publication, receivers } = appended;
    if (!gather) return { publication };
    return { publication, delivered: await gather.wait(receivers) };
  }

  history(ns: string, channel: string, query: HistoryQuery): Promise<HistoryResult> {
    return this.transport.history(ns, channel, query);
  }

  channels(ns: string): Promise<ChannelInfo[]> {
    return this.transport.channels(ns);
  }

  dropChannel(ns: string, channel: string): Promise<void> {
    return this.transport.dropChannel(ns, channel);
  }

  async watch(ns: string, channel: string): Promise<void> {
    const key = `${ns}\0${channel}`;
    if (this.watched.has(key)) return;
    this.watched.add(key);
    try {
      const needsBaseline = this.streams.open(ns, channel);
      await this.transport.subscribeChannel(ns, channel);
      // After the subscription is confirmed: every ord above this top arrives live.
      if (needsBaseline) this.streams.setBaseline(ns, channel, await this.transport.top(ns, channel));
    } catch (err) {
      this.watched.delete(key);
      await this.dropWatch(ns, channel);
      throw err;
    }
  }

  async unwatch(ns: string, channel: string): Promise<void> {
    if (!this.watched.delete(`${ns}\0${channel}`)) return;
    await this.dropWatch(ns, channel);
  }

  private async dropWatch(ns: string, channel: string): Promise<void> {
    this.streams.close(ns, channel);
    await this.transport.unsubscribeChannel(ns, channel);
  }

  async watchNamespace(ns: string): Promise<void> {
    if (this.watchedNamespaces.has(ns)) return;
    this.watchedNamespaces.add(ns);
    try {
      this.streams.watchNamespace(ns, await this.transport.now());
      await this.transport.subscribeNamespace(ns);
      await this.streams.namespaceSubscribed(ns);
    } catch (err) {
      this.watchedNamespaces.delete(ns);
      await this.dropNamespaceWatch(ns);
      throw err;
    }
  }

  async unwatchNamespace(ns: string): Promise<void> {
    if (!this.watchedNamespaces.delete(ns)) return;
    await this.dropNamespaceWatch(ns);
  }

  private async dropNamespaceWatch(ns: string): Promise<void> {
    this.streams.unwatchNamespace(ns);
    await this.transport.unsubscribeNamespace(ns);
  }
}
