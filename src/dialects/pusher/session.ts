import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Hub } from '../../core/hub.js';
import type { JsonValue, Publication } from '../../core/types.js';
import type { SocketLimits } from '../../transport/client-socket.js';
import { TokenBucket } from '../../transport/rate-limit.js';
import { wireErrorOf } from '../kit/hub-errors.js';
import type { RequestRate } from '../kit/serial-inbox.js';
import {
  BinaryFrames,
  DialectSession,
  MAX_PENDING_REQUESTS,
  type Refusal,
  type SessionKind,
} from '../kit/session.js';
import { type PusherApp, socketIdOf } from './apps.js';
import { occupy, vacate } from './occupancy.js';
import { joinPresence, leavePresence, parseChannelData } from './presence.js';
import {
  channelKind,
  connectionEstablished,
  decodeFrame,
  errorFrame,
  frame,
  isCacheChannel,
  PUSHER_HUB_ERRORS,
  PusherCode,
  type PusherCommand,
  subscriptionError,
} from './protocol.js';
import { isMemberEvent, pusherFrame } from './render.js';
import { channelAuthText, checkAuth, signinAuthText } from './signing.js';
import { clientEventData } from './webhooks.js';

/** Frames are answered in order; past 256 waiting, new ones are refused. */
const KIND: SessionKind = { dialect: 'pusher', binaryFrames: BinaryFrames.text, inbox: 'refuse' };

/** What every session of a server shares (built once by the dialect). */
export interface PusherShared {
  hub: Hub;
  socketLimits: SocketLimits;
  /** limits.max_messages_per_second / burst: past it a frame is answered with an error. */
  rate: RequestRate;
  logger: Logger;
  maxJsonDepth: number;
}

/** One Pusher client connection: decodes its frames, answers them, and is the hub's sink for it. */
export class PusherSession extends DialectSession {
  readonly socketId: string;
  private clientEvents: TokenBucket | undefined;
  /** Channels whose subscription is being set up: their deliveries wait here (see subscribe). */
  private joining: Map<string, Publication[]> | undefined;
  /** Presence channels this connection is a member of → its user id there. */
  readonly presence = new Map<string, string>();
  /** Channels this connection counts in for channel_occupied / channel_vacated webhooks. */
  readonly occupying = new Set<string>();
  /** The user signed in with `pusher:signin`, if any. */
  userId: string | undefined;

  constructor(
    ws: WebSocket,
    readonly app: PusherApp,
    private readonly shared: PusherShared,
    remoteAddress: string | undefined,
  ) {
    super(ws, KIND, {
      hub: shared.hub,
      namespace: app.namespace,
      socketLimits: shared.socketLimits,
      remoteAddress,
      rate: shared.rate,
    });
    this.socketId = socketIdOf(shared.hub.nodeId, this.conn.id);
    app.connections++;
    this.socket.send(connectionEstablished(this.socketId, app.config.activity_timeout));
  }

  /** A user joined or left a presence channel through this connection (for webhooks). */
  onMember(kind: 'member_added' | 'member_removed', channel: string, userId: string): void {
    this.app.webhooks?.add({ name: kind, channel, user_id: userId });
  }

  // ---- ConnectionSink ---------------------------------------------------------------------

  deliver(p: Publication): boolean {
    const held = this.joining?.get(p.channel);
    if (held !== undefined) {
      held.push(p);
      return true;
    }
    return this.socket.sendFrame(pusherFrame(p));
  }

  /**
   * Closing on the server's behalf. A restart (1012) becomes Pusher's 4200 so that clients
   * reconnect at once, possibly to another node; codes Pusher clients act on pass as they are.
   */
  override close(code: number, reason: string): void {
    const pusherCode = code === 1012 ? PusherCode.reconnect : code;
    if (pusherCode >= 4000 && pusherCode < 4300) this.socket.send(errorFrame(pusherCode, reason));
    this.socket.close(pusherCode, reason);
  }

  // ---- frames -----------------------------------------------------------------------------

  protected onText(text: string): void {
    this.request(text);
  }

  protected override refuse(_text: string | undefined, why: Refusal): void {
    if (why === 'rate') this.error(null, 'Rate limit exceeded: too many messages, slow down');
    else this.error(null, `More than ${MAX_PENDING_REQUESTS} messages waiting for an answer`);
  }

  protected override failed(err: unknown): void {
    if (this.conn.closed) return;
    this.shared.logger.warn({ err, client: this.conn.id }, 'pusher request failed');
    this.error(null, `Request failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  protected override async handle(text: string | undefined): Promise<void> {
    if (this.conn.closed || text === undefined) return;
    const decoded = decodeFrame(text, this.shared.maxJsonDepth);
    if (!decoded.ok) return this.error(null, decoded.message);
    await this.run(decoded.command);
  }

  private async run(command: PusherCommand): Promise<void> {
    switch (command.kind) {
      case 'ping':
        this.socket.send(frame('pusher:pong', {}));
        return;
      case 'pong':
        return;
      case 'subscribe':
        return this.subscribe(command.channel, command.auth, command.channelData);
      case 'unsubscribe':
        return this.unsubscribe(command.channel);
      case 'signin':
        return this.signin(command.auth, command.userData);
      case 'client-event':
        return this.clientEvent(command.event, command.channel, command.data as JsonValue);
    }
  }

  error(code: number | null, message: string): void {
    this.hub.errors.count('pusher', code === null ? 'error' : String(code));
    this.socket.send(errorFrame(code, message));
  }

  private subscriptionError(channel: string, status: number, type: string, message: string): void {
    this.hub.errors.count('pusher', `subscription_${status}`);
    this.socket.send(subscriptionError(channel, status, type, message));
  }

  // ---- subscriptions ----------------------------------------------------------------------

  private async subscribe(channel: string, auth?: string, channelData?: string): Promise<void> {
    const kind = channelKind(channel);
    const { key, secret } = this.app.config;
    if (channel.startsWith('#server-to-user-')) {
      if (this.userId === undefined || channel !== `#server-to-user-${this.userId}`)
        return this.subscriptionError(
          channel,
          403,
          'AuthError',
          'Sign in as this user first (pusher:signin)',
        );
    } else if (kind !== 'public') {
      const signed = channelAuthText(this.socketId, channel, kind === 'presence' ? channelData : undefined);
      if (!checkAuth(auth, key, secret, signed))
        return this.subscriptionError(channel, 401, 'AuthError', `Invalid signature for ${channel}`);
    }
    let member: ReturnType<typeof parseChannelData> | undefined;
    if (kind === 'presence') {
      member = parseChannelData(channelData, this.app.config.max_user_info_bytes);
      if (!member.ok) return this.subscriptionError(channel, 400, 'InvalidChannelData', member.message);
      if (this.hub.presence === undefined)
        return this.subscriptionError(
          channel,
          501,
          'PresenceUnavailable',
          'This server has no presence store',
        );
    }
    if (this.conn.hasSubscription(channel)) {
      // Already subscribed (a client retrying): answer as for a first subscription.
      if (kind === 'presence') await this.succeedPresence(channel);
      else this.socket.send(frame('pusher_internal:subscription_succeeded', {}, channel));
      return;
    }
    this.joining ??= new Map();
    this.joining.set(channel, []);
    try {
      await this.hub.subscribe(this.conn, channel, { from: { kind: 'live' } });
    } catch (err) {
      this.joining.delete(channel);
      const refusal = wireErrorOf(PUSHER_HUB_ERRORS, err)?.subscription;
      if (refusal === undefined) throw err; // answered by `failed`
      return this.subscriptionError(channel, refusal.status, refusal.type, (err as Error).message);
    }
    // Before the presence join: a webhook receiver hears of the channel before its members.
    await occupy(this, channel);
    if (member?.ok) {
      const joined = await joinPresence(this, channel, member.member).catch((err: unknown) => {
        this.joining?.delete(channel);
        throw err;
      });
      if (!joined) {
        this.joining.delete(channel);
        await this.hub.unsubscribe(this.conn, channel);
        await vacate(this, channel);
        return this.subscriptionError(channel, 403, 'LimitReached', 'The presence channel is full');
      }
      await this.succeedPresence(channel);
    } else {
      this.socket.send(frame('pusher_internal:subscription_succeeded', {}, channel));
    }
    this.releaseHeld(channel, kind === 'presence');
    if (isCacheChannel(channel)) await this.sendCached(channel);
  }

  private async succeedPresence(channel: string): Promise<void> {
    const members = await this.hub.presence!.members(this.app.namespace, channel);
    const hash: Record<string, JsonValue> = {};
    for (const m of members) hash[m.userId] = m.info ?? null;
    const data = { presence: { count: members.length, ids: members.map((m) => m.userId), hash } };
    this.socket.send(frame('pusher_internal:subscription_succeeded', data, channel));
  }

  /**
   * Deliveries that arrived while the subscription was being set up go out after
   * `subscription_succeeded`, which clients wait for. Presence joins and leaves among them are
   * dropped: the member list just sent was read after them and already shows their effect.
   */
  private releaseHeld(channel: string, presence: boolean): void {
    const held = this.joining?.get(channel);
    this.joining?.delete(channel);
    for (const p of held ?? []) {
      if (presence && isMemberEvent(p.event)) continue;
      this.socket.sendFrame(pusherFrame(p));
    }
  }

  /** `cache-` channels: the newest event on subscribe, or `pusher:cache_miss`. */
  private async sendCached(channel: string): Promise<void> {
    const { publications } = await this.hub.history(this.app.namespace, channel, { last: 16 });
    for (let i = publications.length - 1; i >= 0; i--) {
      const p = publications[i]!;
      if (isMemberEvent(p.event)) continue;
      this.socket.sendFrame(pusherFrame(p));
      return;
    }
    this.socket.send(JSON.stringify({ event: 'pusher:cache_miss', channel }));
    await this.app.cacheMisses?.miss(channel);
  }

  private async unsubscribe(channel: string): Promise<void> {
    // Pusher answers nothing to an unsubscribe, not even for a channel that was not subscribed.
    this.joining?.delete(channel);
    await this.hub.unsubscribe(this.conn, channel);
    if (this.presence.has(channel)) await leavePresence(this, channel);
    await vacate(this, channel);
  }

  override onClose(): void {
    void this.closed();
  }

  private async closed(): Promise<void> {
    this.app.connections--;
    const channels = [...this.presence.keys()];
    const occupied = [...this.occupying];
    await this.hub.unregister(this.conn);
    // Members leave before their channels are vacated, as the webhook receiver expects.
    await Promise.allSettled(channels.map((c) => leavePresence(this, c)));
    await Promise.allSettled(occupied.map((c) => vacate(this, c)));
  }

  // ---- user sign-in -----------------------------------------------------------------------

  private async signin(auth: string, userData: string): Promise<void> {
    const { key, secret } = this.app.config;
    let id: unknown;
    try {
      id = (JSON.parse(userData) as { id?: unknown } | null)?.id;
    } catch {
      id = undefined;
    }
    if (typeof id !== 'string' || id === '' || id.length > 200) {
      return this.error(
        PusherCode.unauthorized,
        'user_data must be a JSON object with a non-empty string "id"',
      );
    }
    if (!checkAuth(auth, key, secret, signinAuthText(this.socketId, userData))) {
      this.error(PusherCode.unauthorized, 'Invalid signature for pusher:signin');
      this.socket.close(PusherCode.unauthorized, 'Invalid signin');
      return;
    }
    this.userId = id;
    this.conn.user = id;
    this.socket.send(frame('pusher:signin_success', { user_data: userData }));
  }

  // ---- client events ----------------------------------------------------------------------

  private async clientEvent(event: string, channel: string, data: JsonValue): Promise<void> {
    const kind = channelKind(channel);
    if (!this.app.config.enable_client_messages)
      return this.error(null, 'Client events are not enabled for this app (enable_client_messages)');
    if (kind === 'public' || kind === 'encrypted' || channel.startsWith('#'))
      return this.error(
        null,
        `Client events are only accepted on private- and presence- channels, not ${channel}`,
      );
    if (!this.conn.hasSubscription(channel) || this.joining?.has(channel))
      return this.error(null, `Client event rejected: not subscribed to ${channel}`);
    const perSecond = this.app.config.max_client_events_per_second;
    this.clientEvents ??= new TokenBucket({ ratePerSec: perSecond, burst: perSecond });
    if (!this.clientEvents.take())
      return this.error(
        PusherCode.clientEventRateLimited,
        `Client event rejected due to rate limit: at most ${perSecond} per second`,
      );
    const userId = kind === 'presence' ? this.presence.get(channel) : undefined;
    // A backend that signs any name a client asks for lets clients give channels history.
    if (this.app.channels && (await this.app.channels.admit(this.conn, channel)) === undefined)
      return this.error(
        PusherCode.clientEventRateLimited,
        `Client event rejected: ${this.app.channels.refusal}`,
      );
    await this.hub.publish(this.app.namespace, channel, {
      data,
      event,
      sender: userId,
      except: this.conn.id,
    });
    if (this.app.webhooks?.wants('client_event')) {
      this.app.webhooks.add({
        name: 'client_event',
        channel,
        event,
        data: clientEventData(data),
        socket_id: this.socketId,
        ...(userId !== undefined && { user_id: userId }),
      });
    }
  }
}
