// RocketClient: a browser and Node client for the `rocket` dialect (docs/client-sdk.md). It
// authenticates on every connection, resubscribes every channel after a reconnect, dispatches
// broadcasts by channel and event name, and answers each request with a promise (the server
// answers a connection's messages one at a time, in order, so replies are matched first in,
// first out).
import { ClientError } from './client-error.js';
import { ReconnectingSocket, type SocketEvents, type SocketOptions } from './reconnecting-socket.js';
import { parseRocketFrame, REPLY_KEY, type RocketRequestEvent } from './rocket-wire.js';

export interface RocketCredentials {
  user: string;
  /** Omitted for a user configured with an empty secret. */
  secret?: string;
}

export interface RocketClientOptions extends SocketOptions {
  /** The vhost: `ws://host:6789/demo` (or `wss://`). */
  url: string;
  /**
   * Who to authenticate as on every connection; a function is called before each one (fetch
   * fresh credentials from your backend). Omitted: stay anonymous until `authenticate()`.
   */
  credentials?: RocketCredentials | (() => RocketCredentials | Promise<RocketCredentials>);
}

/** A broadcast as subscribers receive it; `event` is `message` for publications of other dialects. */
export interface RocketEvent<T = unknown> {
  event: string;
  channel: string;
  data: T;
}
export type RocketEventHandler<T = unknown> = (data: T, event: RocketEvent<T>) => void;

export interface RocketClientEvents extends SocketEvents {
  /** Every broadcast of every subscribed channel. */
  event: (event: RocketEvent) => void;
  /** A frame in no rocket shape: what a worker sent this connection (a trigger's answer), parsed when JSON. */
  message: (value: unknown) => void;
  /** Authenticated on the current connection (after connect, after each reconnect). */
  authenticated: (user: string) => void;
  /** A channel could not be subscribed again after a reconnect; it was dropped. */
  resubscribeFailed: (channel: string, error: ClientError) => void;
}

export interface RocketSubscription {
  readonly channel: string;
  /** Subscribed on the current connection right now. */
  readonly active: boolean;
  /** Call `handler` for broadcasts of this channel named `event` ('*': every event). Returns `off`. */
  bind<T = unknown>(event: string, handler: RocketEventHandler<T>): () => void;
  /** Stop delivery at once; resolves when the server confirmed (or there is no connection). */
  unsubscribe(): Promise<void>;
}

interface Request {
  text: string;
  expect: string;
  channel: string | undefined;
  sent: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve(value: unknown): void;
  reject(error: ClientError): void;
}

interface Channel {
  name: string;
  active: boolean;
  handlers: Map<string, Set<RocketEventHandler>>;
  first: Promise<RocketSubscription> | undefined;
  /** Settles `first`; cleared once settled. */
  settle: { resolve(s: RocketSubscription): void; reject(e: unknown): void } | undefined;
  handle: RocketSubscription;
}

export class RocketClient extends ReconnectingSocket<RocketClientEvents> {
  private credentials: RocketClientOptions['credentials'];
  /** Requests written and not yet answered, oldest first. */
  private readonly inFlight: Request[] = [];
  /** Requests of the application waiting for a connection. */
  private readonly outbox: Request[] = [];
  private readonly channels = new Map<string, Channel>();
  private currentUser: string | undefined;

  constructor(options: RocketClientOptions) {
    super(options.url, options, 'RocketClient');
    this.credentials = options.credentials;
  }

  /** The user of the current session, if authenticated. */
  get user(): string | undefined {
    return this.currentUser;
  }

  /**
   * Authenticate as `user` now and on every later connection. Rejects with a `server` error
   * (`INVALID_CREDENTIALS`, `USER_NOT_FOUND`, …); the session then stays what it was.
   */
  async authenticate(user: string, secret?: string): Promise<void> {
    await this.request({ authenticate: secret === undefined ? { user } : { user, secret } }, 'authenticate');
    this.credentials = secret === undefined ? { user } : { user, secret };
    this.currentUser = user;
    this.emit('authenticated', user);
  }

  /** End the session: the server drops every subscription; later connections stay anonymous. */
  async logout(): Promise<void> {
    await this.request({ logout: true }, 'logout');
    this.credentials = undefined;
    this.currentUser = undefined;
    for (const ch of this.channels.values()) ch.active = false;
    this.channels.clear();
  }

  /**
   * Subscribe to `channel` (needs READ); `handler`, if given, receives every event of it.
   * Resolves when the server accepted; from then on the subscription survives reconnects.
   * Subscribing again to a channel returns the same subscription.
   */
  subscribe<T = unknown>(channel: string, handler?: RocketEventHandler<T>): Promise<RocketSubscription> {
    if (this.state === 'closed') return Promise.reject(this.closedError(channel));
    let ch = this.channels.get(channel);
    if (!ch) {
      const created = this.createChannel(channel);
      ch = created;
      this.channels.set(channel, created);
      created.first = new Promise<RocketSubscription>((resolve, reject) => {
        created.settle = { resolve, reject };
      });
      // Sent now if the connection is up; otherwise the next handshake sends it.
      if (this.ready) this.sendSubscribe(created);
      else if (this.state === 'idle') this.connect().catch(() => undefined);
    }
    if (handler) ch.handle.bind('*', handler as RocketEventHandler);
    return ch.first ?? Promise.resolve(ch.handle);
  }

  /** Broadcast `event` with `data` to every subscriber of `channel` (needs WRITE). */
  async broadcast(channel: string, event: string, data?: unknown): Promise<void> {
    const body = data === undefined ? { event, channel } : { event, channel, data };
    await this.request({ broadcast: body }, 'broadcast', channel);
  }

  /** Trigger `event` for the vhost's workers (needs WRITE); their answers arrive as `message` events. */
  async trigger(event: string, data?: unknown): Promise<void> {
    await this.request({ trigger: data === undefined ? { event } : { event, data } }, 'trigger');
  }

  // ---- connection hooks ----------------------------------------------------------------------

  protected override onSocketOpen(): void {
    void this.handshake();
  }

  private async handshake(): Promise<void> {
    const source = this.credentials;
    if (source !== undefined) {
      let creds: RocketCredentials;
      try {
        creds = typeof source === 'function' ? await source() : source;
        await this.sendInternal(
          { authenticate: creds.secret === undefined ? { user: creds.user } : creds },
          'authenticate',
        );
      } catch (err) {
        if (err instanceof ClientError && err.kind !== 'server') return; // the socket is gone already
        const error =
          err instanceof ClientError
            ? err
            : new ClientError('usage', `credentials callback failed: ${String(err)}`, { cause: err });
        // Anonymous on this socket: resubscribing would only be refused. The application's
        // queued requests go out and get the server's own answers.
        this.emitError(error);
        this.failReady(error);
        for (const req of this.outbox.splice(0)) this.transmit(req);
        return;
      }
      this.currentUser = creds.user;
      this.emit('authenticated', creds.user);
    }
    // Resubscribe first: the server answers in order, so everything the application queued
    // meanwhile goes out after these.
    for (const ch of this.channels.values()) this.sendSubscribe(ch);
    this.markReady();
    for (const req of this.outbox.splice(0)) this.transmit(req);
  }

  /** Subscribe `ch` on the current socket: its first subscribe or a resubscribe after a reconnect. */
  private sendSubscribe(ch: Channel): void {
    this.sendInternal({ subscribe: { channel: ch.name } }, 'subscribe', ch.name).then(
      () => {
        if (this.channels.get(ch.name) !== ch) return;
        ch.active = true;
        ch.settle?.resolve(ch.handle);
        ch.settle = undefined;
      },
      (err: ClientError) => {
        // Not answered (socket lost, timeout): the next handshake sends it again.
        if (err.kind !== 'server' || this.channels.get(ch.name) !== ch) return;
        this.channels.delete(ch.name);
        if (ch.settle) {
          ch.settle.reject(err);
          ch.settle = undefined;
          return;
        }
        this.emit('resubscribeFailed', ch.name, err);
        this.emitError(err);
      },
    );
  }

  protected onSocketFrame(data: string | ArrayBuffer): void {
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    const frame = parseRocketFrame(text);
    if (frame.kind === 'event') {
      this.deliver(frame);
    } else if (frame.kind === 'reply' || frame.kind === 'error') {
      const req = this.inFlight.shift();
      if (!req) {
        if (frame.kind === 'error')
          this.emitError(
            new ClientError('protocol', `unexpected ${frame.id}: ${frame.info}`, { code: frame.id }),
          );
        return;
      }
      clearTimeout(req.timer);
      if (frame.kind === 'reply' && frame.key === req.expect) req.resolve(frame.value);
      else if (frame.kind === 'error') {
        const message = `${frame.id}${frame.info ? `: ${frame.info}` : ''}`;
        req.reject(new ClientError('server', message, { code: frame.id, channel: req.channel }));
      } else {
        req.reject(new ClientError('protocol', `expected "${req.expect}", got "${frame.key}"`));
      }
    } else {
      this.emit('message', frame.value);
    }
  }

  protected onSocketLost(error: ClientError, final: boolean): void {
    this.currentUser = undefined;
    for (const ch of this.channels.values()) ch.active = false;
    for (const req of this.inFlight.splice(0)) {
      clearTimeout(req.timer);
      req.reject(error);
    }
    if (!final) return;
    for (const req of this.outbox.splice(0)) {
      clearTimeout(req.timer);
      req.reject(this.closedError(req.channel));
    }
    for (const ch of this.channels.values()) ch.settle?.reject(this.closedError(ch.name));
    this.channels.clear();
  }

  // ---- requests ------------------------------------------------------------------------------

  /** An application request: waits for a connection, then is written once (never repeated). */
  private request(frame: object, event: RocketRequestEvent, channel?: string): Promise<unknown> {
    if (this.state === 'closed') return Promise.reject(this.closedError(channel));
    return new Promise((resolve, reject) => {
      const req = this.makeRequest(frame, event, channel, resolve, reject);
      if (this.ready) this.transmit(req);
      else {
        this.outbox.push(req);
        if (this.state === 'idle') this.connect().catch(() => undefined);
      }
    });
  }

  /** A request of the handshake: written at once on the current socket. */
  private sendInternal(frame: object, event: RocketRequestEvent, channel?: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.transmit(this.makeRequest(frame, event, channel, resolve, reject));
    });
  }

  private makeRequest(
    frame: object,
    event: RocketRequestEvent,
    channel: string | undefined,
    resolve: (v: unknown) => void,
    reject: (e: ClientError) => void,
  ): Request {
    const req: Request = {
      text: JSON.stringify(frame),
      expect: REPLY_KEY[event],
      channel,
      sent: false,
      timer: undefined,
      resolve,
      reject,
    };
    req.timer = setTimeout(() => {
      const queued = this.outbox.indexOf(req);
      if (queued >= 0) this.outbox.splice(queued, 1);
      req.reject(
        new ClientError('timeout', `no answer to ${event} within ${this.requestTimeoutMs} ms`, { channel }),
      );
      // Replies are matched in order: with one missing, the socket cannot be trusted any more.
      if (req.sent && this.inFlight.includes(req)) this.dropSocket('request timed out');
    }, this.requestTimeoutMs);
    return req;
  }

  private transmit(req: Request): void {
    this.inFlight.push(req);
    req.sent = true;
    if (!this.write(req.text)) {
      const i = this.inFlight.indexOf(req);
      if (i >= 0) this.inFlight.splice(i, 1);
      clearTimeout(req.timer);
      req.reject(new ClientError('disconnected', 'not connected', { channel: req.channel }));
    }
  }

  // ---- channels ------------------------------------------------------------------------------

  private createChannel(name: string): Channel {
    const ch: Channel = {
      name,
      active: false,
      handlers: new Map(),
      first: undefined,
      settle: undefined,
      handle: {
        channel: name,
        get active() {
          return ch.active;
        },
        bind: <T>(event: string, handler: RocketEventHandler<T>) => {
          let set = ch.handlers.get(event);
          if (!set) {
            set = new Set();
            ch.handlers.set(event, set);
          }
          set.add(handler as RocketEventHandler);
          return () => ch.handlers.get(event)?.delete(handler as RocketEventHandler);
        },
        unsubscribe: async () => {
          if (this.channels.get(name) !== ch) return;
          this.channels.delete(name);
          ch.settle?.reject(new ClientError('closed', `unsubscribed from ${name} before it was accepted`));
          ch.settle = undefined;
          const wasActive = ch.active;
          ch.active = false;
          if (!wasActive || !this.ready) return;
          // CHANNEL_NOT_FOUND (never subscribed on this socket) is as good as ok here.
          await this.request({ unsubscribe: { channel: name } }, 'unsubscribe', name).catch(() => undefined);
        },
      },
    };
    return ch;
  }

  private deliver(event: RocketEvent): void {
    const ch = this.channels.get(event.channel);
    if (!ch?.active) return;
    this.emit('event', event);
    for (const key of [event.event, '*']) {
      for (const handler of [...(ch.handlers.get(key) ?? [])]) {
        try {
          handler(event.data, event);
        } catch (err) {
          this.emitError(
            new ClientError('handler', `handler of ${event.channel}/${event.event} threw`, {
              channel: event.channel,
              cause: err,
            }),
          );
        }
      }
    }
  }
}
