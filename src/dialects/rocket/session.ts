import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { renderOnce } from '../../core/render-cache.js';
import type { JsonValue, Publication } from '../../core/types.js';
import { textFrame } from '../../transport/frame.js';
import { wireErrorOf } from '../kit/hub-errors.js';
import type { NewChannelRate } from '../kit/new-channel-rate.js';
import {
  BinaryFrames,
  DialectSession,
  MAX_PENDING_REQUESTS,
  type Refusal,
  type SessionInit,
  type SessionKind,
} from '../kit/session.js';
import { type Access, decodeFrame, encodeReply, type RocketCommand, renderPublication } from './codec.js';
import type { RocketConfig } from './config.js';
import { encodeError, ROCKET_HUB_ERRORS, type RocketError, RocketErrorId, rocketError } from './errors.js';
import type { KnownChannels } from './known-channels.js';
import { authenticate, hasPermission, type Identity, Permission } from './permissions.js';

/**
 * Frames are answered one at a time, in the order sent; past 256 waiting, new ones are refused
 * with TOO_MANY_REQUESTS instead of queueing. Binary frames are read as UTF-8 text: a JSON
 * message sent as binary works, garbage is INVALID_PAYLOAD like any other unreadable message.
 */
const KIND: SessionKind = { dialect: 'rocket', binaryFrames: BinaryFrames.text, inbox: 'refuse' };

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

/** `namespace` is the vhost this endpoint serves; past `rate`, messages are RATE_LIMITED. */
export interface RocketSessionOptions extends SessionInit {
  rocket: RocketConfig;
  known: KnownChannels;
  /**
   * `max_channels`: a broadcast that gives one more channel history evicts the least recently
   * active; `max_new_channels_per_minute`: how fast one connection may do that.
   */
  newChannels: NewChannelRate;
  logger: Logger;
  /** limits.max_json_depth: deeper messages are refused (default 64). */
  maxJsonDepth?: number;
}

interface OwnCopyWaiter {
  ord: number;
  done: () => void;
}

/** authenticate refusals: logged by the ops log. */
const AUTH_ERRORS: ReadonlySet<string> = new Set([
  RocketErrorId.invalidUserName,
  RocketErrorId.userNotFound,
  RocketErrorId.invalidCredentials,
]);

/** One connection to a vhost: decodes events, answers them, and is the hub's sink for it. */
export class RocketSession extends DialectSession implements Access {
  private readonly opts: RocketSessionOptions;
  private identity: Identity | undefined;
  /** After `disconnect`: frames already queued are dropped unanswered. */
  private ending = false;
  private readonly ownCopyWaiters = new Map<string, OwnCopyWaiter[]>();

  constructor(ws: WebSocket, options: RocketSessionOptions) {
    super(ws, KIND, options);
    this.opts = options;
  }

  override onClose(): void {
    this.releaseOwnCopyWaiters();
    super.onClose();
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

  // ---- frames -----------------------------------------------------------------------------

  protected onText(text: string): void {
    if (!this.ending) this.request(text);
  }

  protected override refuse(_text: string | undefined, why: Refusal): void {
    if (why === 'rate') this.sendError(RocketErrorId.rateLimited, 'rate limit exceeded: slow down');
    else
      this.sendError(
        RocketErrorId.tooManyRequests,
        `more than ${MAX_PENDING_REQUESTS} messages waiting for an answer`,
      );
  }

  /** A hub error in rocket's words (ROCKET_HUB_ERRORS); anything else is INTERNAL_ERROR, logged. */
  protected override failed(err: unknown): void {
    if (this.conn.closed) return; // the client left while its request was in flight
    const detail = err instanceof Error ? err.message : String(err);
    const id = wireErrorOf(ROCKET_HUB_ERRORS, err) ?? RocketErrorId.internalError;
    if (id !== RocketErrorId.internalError) {
      this.sendError(id, detail);
      return;
    }
    this.opts.logger.warn({ err, client: this.conn.id }, 'rocket request failed in the hub');
    this.sendError(RocketErrorId.internalError, `request failed: ${detail}`);
  }

  protected override async handle(text: string | undefined): Promise<void> {
    if (this.conn.closed || this.ending || text === undefined) return;
    const decoded = decodeFrame(text, this, this.opts.maxJsonDepth);
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
      // null: a backend (mesh conn.call subscribe) got there first, the channel is subscribed all
      // the same. Any other failure is answered by `failed`.
      if (wireErrorOf(ROCKET_HUB_ERRORS, err) !== null) throw err;
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
    this.hub.errors.count('rocket', error.err);
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
