import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { Connection, ConnectionSink } from '../../core/connection.js';
import { HubError, HubErrorCode } from '../../core/errors.js';
import type { Hub } from '../../core/hub.js';
import { renderOnce } from '../../core/render-cache.js';
import { secretEquals } from '../../core/secret-compare.js';
import type { Publication, StreamPosition } from '../../core/types.js';
import { ClientSocket, type SocketLimits } from '../../transport/client-socket.js';
import { textFrame } from '../../transport/frame.js';
import { type RequestRate, SerialInbox } from '../kit/serial-inbox.js';
import { subscribeAuth } from './auth.js';
import {
  BINARY_FRAME_ERROR,
  decodeRequest,
  encodeError,
  encodeMessage,
  encodeOk,
  SiteError,
  SiteErrorCode,
  type SubscribeRequest,
  type UnsubscribeRequest,
} from './codec.js';
import type { Site } from './sites.js';
import { verifyToken } from './tokens.js';

/**
 * Requests a connection may have waiting for an answer. Requests are answered one at a time, in
 * the order sent (so responses come back in request order); past this many waiting, new ones are
 * refused straight away instead of queueing without bound.
 */
const MAX_PENDING_REQUESTS = 256;

/** The key under which a publication's site rendering is cached for all its receivers. */
const RENDER_KEY = 'site';
/** The rendering as one complete WebSocket frame, written as-is to every receiver. */
const renderFrame = (p: Publication): Buffer => textFrame(encodeMessage(p));

export interface SessionOptions {
  hub: Hub;
  /** A site with a subscribe secret (the upgrade was refused otherwise). */
  site: Site & { secret: string };
  socketLimits: SocketLimits;
  /** Requests per second (and back-to-back burst) answered before "rate limit exceeded". */
  rate: RequestRate;
  remoteAddress: string | undefined;
  logger: Logger;
  /** limits.max_json_depth: deeper requests are refused (default 64). */
  maxJsonDepth?: number;
}

/** The 'error' listener: one function for every socket, not a closure per connection. */
const ignore = (): undefined => undefined;

/**
 * The socket's session, kept on the socket so that its 'message' and 'close' listeners are shared
 * functions rather than two closures (and their context) per connection.
 */
const SESSION = Symbol('switchboard.siteSession');
type SessionSocket = WebSocket & { [SESSION]: SiteSession };

function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as SessionSocket)[SESSION].onFrame(data, isBinary);
}

function onSocketClose(this: WebSocket): void {
  (this as SessionSocket)[SESSION].onClose();
}

/** One `/ws?site=` connection: decodes requests, answers them, and is the hub's sink for it. */

/** Errors that refuse a credential (a subscribe's token or auth): logged by the ops log. */
const AUTH_CODES: ReadonlySet<string> = new Set([
  SiteErrorCode.invalidToken,
  SiteErrorCode.expiredToken,
  SiteErrorCode.badAuth,
]);
export class SiteSession implements ConnectionSink {
  private readonly socket: ClientSocket;
  private readonly conn: Connection;
  private readonly hub: Hub;
  private readonly site: Site & { secret: string };
  private readonly log: Logger;
  private readonly rate: RequestRate;
  private readonly maxJsonDepth: number | undefined;
  /** Created with the first request: an idle connection needs none. */
  private requests: SerialInbox | undefined;

  constructor(ws: WebSocket, options: SessionOptions) {
    this.hub = options.hub;
    this.site = options.site;
    this.log = options.logger;
    this.maxJsonDepth = options.maxJsonDepth;
    this.socket = new ClientSocket(ws, options.socketLimits);
    this.rate = options.rate;
    this.conn = this.hub.register({
      namespace: this.site.name,
      dialect: 'site',
      sink: this,
      remoteAddress: options.remoteAddress,
    });
    (ws as SessionSocket)[SESSION] = this;
    ws.on('message', onSocketMessage);
    ws.on('close', onSocketClose);
    // An 'error' is always followed by 'close'; listening keeps it from being thrown.
    ws.on('error', ignore);
  }

  // ---- ConnectionSink ----------------------------------------------------------------------

  deliver(publication: Publication): boolean {
    return this.socket.sendFrame(renderOnce(publication, RENDER_KEY, renderFrame));
  }

  sendRaw(data: string | Buffer, binary: boolean): boolean {
    return this.socket.send(data, binary);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  // ---- requests ----------------------------------------------------------------------------

  /** @internal the socket's 'close' listener. */
  onClose(): void {
    void this.hub.unregister(this.conn);
  }

  /** @internal the socket's 'message' listener. */
  onFrame(data: RawData, isBinary: boolean): void {
    this.requests ??= new SerialInbox(MAX_PENDING_REQUESTS, this.rate);
    const queued = this.requests.push(
      (allowed) =>
        allowed
          ? this.handle(data, isBinary)
          : this.refuse(data, isBinary, SiteErrorCode.rateLimited, 'rate limit exceeded: slow down'),
      (err) => this.log.error({ err, client: this.conn.id }, 'site request failed'),
    );
    if (!queued) {
      this.refuse(data, isBinary, SiteErrorCode.tooManyRequests, 'too many requests waiting for an answer');
    }
  }

  /** Every error answer goes through here, so each is counted once (errors_total). */
  private sendError(err: SiteError): void {
    this.hub.errors.count('site', err.code);
    if (AUTH_CODES.has(err.code)) {
      this.hub.authFailed?.({
        dialect: 'site',
        reason: err.code,
        namespace: this.conn.namespace,
        address: this.conn.remoteAddress,
      });
    }
    this.socket.send(encodeError(err));
  }

  /** Answer a frame with an error without handling it, echoing its req_id when it has one. */
  private refuse(data: RawData, isBinary: boolean, code: SiteErrorCode, message: string): void {
    const decoded = isBinary ? undefined : decodeRequest(rawText(data), this.maxJsonDepth);
    const reqId = decoded?.ok ? decoded.request.reqId : decoded?.error.reqId;
    this.sendError(new SiteError(code, message, reqId));
  }

  private async handle(data: RawData, isBinary: boolean): Promise<void> {
    if (this.conn.closed) return;
    if (isBinary) {
      this.sendError(BINARY_FRAME_ERROR);
      return;
    }
    const decoded = decodeRequest(rawText(data), this.maxJsonDepth);
    if (!decoded.ok) {
      this.sendError(decoded.error);
      return;
    }
    const request = decoded.request;
    try {
      if (request.kind === 'subscribe') await this.subscribe(request);
      else await this.unsubscribe(request);
    } catch (err) {
      if (err instanceof SiteError) {
        this.sendError(err);
        return;
      }
      this.log.warn({ err, client: this.conn.id }, 'site request failed in the hub');
      this.sendError(unavailable(err, request.reqId));
    }
  }

  private async subscribe(req: SubscribeRequest): Promise<void> {
    const { reqId, channel } = req;
    const verdict = verifyToken(req.token, this.site.name, this.site.tokenKey);
    if (!verdict.ok) {
      throw verdict.reason === 'expired'
        ? new SiteError(SiteErrorCode.expiredToken, 'token has expired: get a new one from /token', reqId)
        : new SiteError(
            SiteErrorCode.invalidToken,
            `invalid token: not issued by /token?site=${this.site.name}`,
            reqId,
          );
    }
    if (!secretEquals(req.auth, subscribeAuth(this.site.secret, channel, req.token))) {
      throw new SiteError(
        SiteErrorCode.badAuth,
        'auth does not match: expected base64(hmac256(secret, channel + token))',
        reqId,
      );
    }
    let answered = false;
    try {
      // The ok goes out in onReady: after the subscription exists, before any backlog message.
      await this.hub.subscribe(this.conn, channel, {
        from: startOf(req.after),
        onReady: () => {
          answered = true;
          this.socket.send(encodeOk(reqId));
        },
      });
    } catch (err) {
      if (err instanceof HubError && err.code === HubErrorCode.alreadySubscribed) {
        throw new SiteError(
          SiteErrorCode.alreadySubscribed,
          `already subscribed to channel ${channel}`,
          reqId,
        );
      }
      if (err instanceof HubError && err.code === HubErrorCode.invalidChannel) {
        throw new SiteError(SiteErrorCode.invalidChannel, err.message, reqId);
      }
      if (err instanceof HubError && err.code === HubErrorCode.tooManyChannels) {
        throw new SiteError(SiteErrorCode.tooManyChannels, err.message, reqId);
      }
      throw err;
    }
    // A backend (mesh conn.call unsubscribe) removed the subscription while it was being set up:
    // the subscribe itself did succeed.
    if (!answered) this.socket.send(encodeOk(reqId));
  }

  private async unsubscribe(req: UnsubscribeRequest): Promise<void> {
    if (!(await this.hub.unsubscribe(this.conn, req.channel))) {
      throw new SiteError(SiteErrorCode.notSubscribed, `not subscribed to channel ${req.channel}`, req.reqId);
    }
    this.socket.send(encodeOk(req.reqId));
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function unavailable(err: unknown, reqId: string | undefined): SiteError {
  const detail = err instanceof Error ? err.message : String(err);
  return new SiteError(SiteErrorCode.unavailable, `request failed: ${detail}`, reqId);
}

/** The site protocol's `after`: 0 live only, -1 the newest buffered first, N > 0 after ord N. */
function startOf(after: number): StreamPosition {
  if (after === 0) return { kind: 'live' };
  if (after === -1) return { kind: 'newest' };
  return { kind: 'after', ord: after };
}
