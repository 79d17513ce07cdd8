import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { Connection, ConnectionSink } from '../../core/connection.js';
import { HubError, HubErrorCode } from '../../core/errors.js';
import type { Hub } from '../../core/hub.js';
import { renderOnce } from '../../core/render-cache.js';
import type { JsonValue, Publication } from '../../core/types.js';
import { ClientSocket, type SocketLimits } from '../../transport/client-socket.js';
import { textFrame } from '../../transport/frame.js';
import type { NewChannelRate } from '../kit/new-channel-rate.js';
import { type RequestRate, SerialInbox } from '../kit/serial-inbox.js';
import { type Access, decodeFrame, encodeReply, type RocketCommand, renderPublication } from './codec.js';
import type { RocketConfig } from './config.js';
import { encodeError, type RocketError, RocketErrorId, rocketError } from './errors.js';
import type { KnownChannels } from './known-channels.js';
import { authenticate, hasPermission, type Identity, Permission } from './permissions.js';

/**
 * Frames a connection may have waiting for an answer. They are answered one at a time, in the
 * order sent; past this many, new ones are refused with TOO_MANY_REQUESTS instead of queueing.
 */
const MAX_PENDING = 256;

/**
 * How long `broadcasted` may wait for the sender's own copy of its broadcast. With the memory
 * engine the copy is written before `publish` resolves; a cluster engine delivers it a moment
 * later, and the original protocol's order (payload, then `broadcasted`) must hold there too.
 */
const OWN_COPY_WAIT_MS = 2000;

const RENDER_KEY = 'rocket';
/** The rendering as one complete WebSocket frame, written as-is to every receiver. */
const renderFrame = (p: Publication): Buffer => textFrame(renderPublication(p));

/** The item a trigger puts on the vhost's trigger topic (mesh `queue.pop` → `p.d`). */
export interface TriggerItem {
  [key: string]: JsonValue;
  event: string;
  data: JsonValue;
  user: string;
  client_id: string;
}

export interface RocketSessionOptions {
  hub: Hub;
  /** The namespace (vhost) this endpoint serves. */
  namespace: string;
  rocket: RocketConfig;
  known: KnownChannels;
  /**
   * `max_channels`: a broadcast that gives one more channel history evicts the least recently
   * active; `max_new_channels_per_minute`: how fast one connection may do that.
   */
  newChannels: NewChannelRate;
  socketLimits: SocketLimits;
  /** Messages per second (and back-to-back burst) answered before RATE_LIMITED. */
  rate: RequestRate;
  remoteAddress: string | undefined;
  logger: Logger;
  /** limits.max_json_depth: deeper messages are refused (default 64). */
  maxJsonDepth?: number;
}

interface OwnCopyWaiter {
  ord: number;
  done: () => void;
}

/** The 'error' listener: one function for every socket, not a closure per connection. */
const ignore = (): undefined => undefined;

/** One connection to a vhost: decodes events, answers them, and is the hub's sink for it. */

/** authenticate refusals: logged by the ops log. */
const AUTH_ERRORS: ReadonlySet<string> = new Set([
  RocketErrorId.invalidUserName,
  RocketErrorId.userNotFound,
  RocketErrorId.invalidCredentials,
]);
export class RocketSession implements ConnectionSink, Access {
  private readonly socket: ClientSocket;
  private readonly conn: Connection;
  private readonly hub: Hub;
  private readonly opts: RocketSessionOptions;
  private identity: Identity | undefined;
  private readonly requests: SerialInbox;
  /** After `disconnect`: frames already queued are dropped unanswered. */
  private ending = false;
  private readonly ownCopyWaiters = new Map<string, OwnCopyWaiter[]>();

  constructor(ws: WebSocket, options: RocketSessionOptions) {
    this.opts = options;
    this.hub = options.hub;
    this.socket = new ClientSocket(ws, options.socketLimits);
    this.requests = new SerialInbox(MAX_PENDING, options.rate);
    this.conn = this.hub.register({
      namespace: options.namespace,
      dialect: 'rocket',
      sink: this,
      remoteAddress: options.remoteAddress,
    });
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => {
      this.releaseOwnCopyWaiters();
      void this.hub.unregister(this.conn);
    });
    // An 'error' is always followed by 'close'; listening keeps it from being thrown.
    ws.on('error', ignore);
  }

  get clientId(): string {
    return this.conn.id;
  }

  // ---- Access (what the codec asks) -------------------------------------------------------

  get authenticated(): boolean {
    return this.identity !== undefined;
  }

  can(permission: Permission): boolean {
    return hasPermission(this.identity, permission);
  }

  // ---- ConnectionSink ---------------------------------------------------------------------

  deliver(publication: Publication): boolean {
    const written = this.socket.sendFrame(renderOnce(publication, RENDER_KEY, renderFrame));
    if (this.ownCopyWaiters.size > 0) this.sawOwnCopy(publication.channel, publication.ord);
    return written;
  }

  sendRaw(data: string | Buffer, binary: boolean): boolean {
    return this.socket.send(data, binary);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  // ---- frames -----------------------------------------------------------------------------

  private onFrame(data: RawData, _isBinary: boolean): void {
    if (this.ending) return;
    const queued = this.requests.push(
      (allowed) =>
        allowed
          ? this.handle(data)
          : this.sendError(RocketErrorId.rateLimited, 'rate limit exceeded: slow down'),
      (err) => {
        if (this.conn.closed) return; // the client left while its request was in flight
        this.opts.logger.warn({ err, client: this.conn.id }, 'rocket request failed in the hub');
        const detail = err instanceof Error ? err.message : String(err);
        this.sendError(RocketErrorId.internalError, `request failed: ${detail}`);
      },
    );
    if (!queued) {
      this.sendError(
        RocketErrorId.tooManyRequests,
        `more than ${MAX_PENDING} messages waiting for an answer`,
      );
    }
  }

  private async handle(data: RawData): Promise<void> {
    if (this.conn.closed || this.ending) return;
    // Binary frames are read as UTF-8 text: a JSON message sent as binary works, garbage is
    // INVALID_PAYLOAD like any other unreadable message.
    const decoded = decodeFrame(rawText(data), this, this.opts.maxJsonDepth);
    if (!decoded.ok) {
      this.sendErrorFrame(decoded.error);
      return;
    }
    await this.run(decoded.command);
  }

  private async run(command: RocketCommand): Promise<void> {
    switch (command.kind) {
      case 'authenticate':
        return this.authenticate(command.user, command.secret);
      case 'subscribe':
        return this.subscribe(command.channel);
      case 'unsubscribe':
        return this.unsubscribe(command.channel);
      case 'broadcast':
        return this.broadcast(command.event, command.channel, command.data);
      case 'trigger':
        return this.trigger(command.event, command.data);
      case 'logout':
        await this.unsubscribeAll();
        this.identity = undefined;
        this.conn.user = undefined;
        this.socket.send(encodeReply('loggedOut', true));
        return;
      case 'disconnect':
        this.ending = true;
        this.socket.close(1000, 'disconnect');
        return;
    }
  }

  /**
   * A failed attempt leaves the current session (user, permissions, subscriptions) as it was. A
   * successful one replaces user and permissions and keeps the subscriptions, unless the new user
   * lacks READ: holding subscriptions it could not make itself would bypass the permission model.
   */
  private async authenticate(user: string, secret: string): Promise<void> {
    const result = authenticate(this.opts.rocket, user, secret);
    if (!result.ok) {
      const info =
        result.error === RocketErrorId.userNotFound
          ? `no user "${user}" in this vhost`
          : result.error === RocketErrorId.invalidCredentials
            ? `wrong secret for user "${user}"`
            : undefined;
      this.sendError(result.error, info);
      return;
    }
    this.identity = result.identity;
    this.conn.user = user;
    if (!this.can(Permission.read)) await this.unsubscribeAll();
    this.socket.send(encodeReply('authenticated', user));
  }

  /** Subscribing again to a channel already subscribed answers `subscribed` again (no error id fits). */
  private async subscribe(channel: string): Promise<void> {
    this.opts.known.add(channel);
    if (this.conn.hasSubscription(channel)) {
      this.socket.send(encodeReply('subscribed', channel));
      return;
    }
    let answered = false;
    const answer = () => {
      if (answered) return;
      answered = true;
      this.socket.send(encodeReply('subscribed', channel));
    };
    try {
      // `subscribed` goes out once the subscription exists and before anything published to it.
      await this.hub.subscribe(this.conn, channel, { from: { kind: 'live' }, onReady: answer });
    } catch (err) {
      if (err instanceof HubError && err.code === HubErrorCode.tooManyChannels) {
        return this.sendError(RocketErrorId.tooManyChannels, err.message);
      }
      if (err instanceof HubError && err.code === HubErrorCode.invalidChannel) {
        return this.sendError(RocketErrorId.invalidChannelName, err.message);
      }
      // A backend (mesh conn.call subscribe) got there first: the channel is subscribed all the same.
      if (!(err instanceof HubError && err.code === HubErrorCode.alreadySubscribed)) throw err;
    }
    answer();
  }

  private async unsubscribe(channel: string): Promise<void> {
    if (!(await this.hub.unsubscribe(this.conn, channel))) {
      this.sendError(RocketErrorId.channelNotFound, `not subscribed to channel "${channel}"`);
      return;
    }
    this.releaseOwnCopyWaiters(channel);
    this.socket.send(encodeReply('unsubscribed', channel));
  }

  private async broadcast(event: string, channel: string, data: JsonValue): Promise<void> {
    if (!(await this.channelExists(channel))) {
      this.sendError(
        RocketErrorId.channelNotFound,
        `channel "${channel}" does not exist: subscribe to it first to create it`,
      );
      return;
    }
    if ((await this.opts.newChannels.admit(this.conn, channel)) === undefined)
      return this.sendError(RocketErrorId.rateLimited, this.opts.newChannels.refusal);
    const { publication } = await this.hub.publish(this.opts.namespace, channel, {
      data,
      event,
      sender: this.identity?.user,
    });
    await this.ownCopyWritten(channel, publication.ord);
    this.socket.send(encodeReply('broadcasted', channel));
  }

  private async trigger(event: string, data: JsonValue): Promise<void> {
    const { hub } = this;
    const ns = this.opts.namespace;
    const topic = this.opts.rocket.trigger_topic;
    if (!(await hub.queueHasConsumer(ns, topic))) {
      this.sendError(RocketErrorId.assignationFailed, `no worker consumes the trigger topic "${topic}"`);
      return;
    }
    const item: TriggerItem = { event, data, user: this.identity?.user ?? '', client_id: this.conn.id };
    await hub.queuePush(ns, topic, { node: hub.nodeId, client: this.conn.id, topic, data: item });
    this.socket.send(encodeReply('triggered', event));
  }

  /**
   * WebRocket channels exist from their first subscribe on. Known here as: subscribed by this
   * connection, by any connection on this node now, by a rocket client of this node before, or
   * published to (anywhere in the cluster). Documented limit: a channel only ever subscribed to on
   * another node, and never published to, is not found.
   */
  private async channelExists(channel: string): Promise<boolean> {
    if (this.conn.hasSubscription(channel) || this.opts.known.has(channel)) return true;
    if (this.hub.hasLocalSubscribers(this.opts.namespace, channel)) return true;
    const { top } = await this.hub.history(this.opts.namespace, channel, { last: 0 });
    return top > 0;
  }

  private async unsubscribeAll(): Promise<void> {
    const channels = [...this.conn.subscribedChannels()];
    await Promise.all(channels.map((ch) => this.hub.unsubscribe(this.conn, ch)));
    this.releaseOwnCopyWaiters();
  }

  // ---- the sender's own copy of its broadcast comes before `broadcasted` --------------------

  private ownCopyWritten(channel: string, ord: number): Promise<void> {
    if (this.hub.wrote(this.conn, channel, ord)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => waiter.done(), OWN_COPY_WAIT_MS);
      timer.unref();
      const waiter: OwnCopyWaiter = {
        ord,
        done: () => {
          clearTimeout(timer);
          const list = this.ownCopyWaiters.get(channel);
          const i = list?.indexOf(waiter) ?? -1;
          if (list && i >= 0) {
            list.splice(i, 1);
            if (list.length === 0) this.ownCopyWaiters.delete(channel);
          }
          resolve();
        },
      };
      const list = this.ownCopyWaiters.get(channel) ?? [];
      list.push(waiter);
      this.ownCopyWaiters.set(channel, list);
    });
  }

  private sawOwnCopy(channel: string, ord: number): void {
    const list = this.ownCopyWaiters.get(channel);
    if (!list) return;
    for (const w of [...list]) if (w.ord <= ord) w.done();
  }

  private releaseOwnCopyWaiters(channel?: string): void {
    const channels = channel === undefined ? [...this.ownCopyWaiters.keys()] : [channel];
    for (const ch of channels) for (const w of [...(this.ownCopyWaiters.get(ch) ?? [])]) w.done();
  }

  private sendError(id: RocketErrorId, info?: string): void {
    this.sendErrorFrame(rocketError(id, info));
  }

  /** Every error reply goes through here, so each is counted once (errors_total). */
  private sendErrorFrame(error: RocketError): void {
    this.hub.errorSink?.('rocket', error.err);
    if (AUTH_ERRORS.has(error.err)) {
      this.hub.authFailed?.({
        dialect: 'rocket',
        reason: error.err,
        namespace: this.opts.namespace,
        address: this.opts.remoteAddress,
      });
    }
    this.socket.send(encodeError(error));
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
