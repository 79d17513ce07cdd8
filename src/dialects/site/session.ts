import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Hub } from '../../core/hub.js';
import { renderOnce } from '../../core/render-cache.js';
import { secretEquals } from '../../core/secret-compare.js';
import type { Publication, StreamPosition } from '../../core/types.js';
import type { SocketLimits } from '../../transport/client-socket.js';
import { textFrame } from '../../transport/frame.js';
import { wireErrorOf } from '../kit/hub-errors.js';
import type { RequestRate } from '../kit/serial-inbox.js';
import { BinaryFrames, DialectSession, type Refusal, type SessionKind } from '../kit/session.js';
import { subscribeAuth } from './auth.js';
import {
  BINARY_FRAME_ERROR,
  decodeRequest,
  encodeError,
  encodeMessage,
  encodeOk,
  SITE_HUB_ERRORS,
  SiteError,
  SiteErrorCode,
  type SiteRequest,
  type SubscribeRequest,
  type UnsubscribeRequest,
} from './codec.js';
import type { Site } from './sites.js';
import { verifyToken } from './tokens.js';

/** The key under which a publication's site rendering is cached for all its receivers. */
const RENDER_KEY = 'site';
/** The rendering as one complete WebSocket frame, written as-is to every receiver. */
const renderFrame = (p: Publication): Buffer => textFrame(encodeMessage(p));

/** Requests are answered one at a time in the order sent; past 256 waiting they are refused. */
const KIND: SessionKind = { dialect: 'site', binaryFrames: BinaryFrames.bytes, inbox: 'refuse' };

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

/** Errors that refuse a credential (a subscribe's token or auth): logged by the ops log. */
const AUTH_CODES: ReadonlySet<string> = new Set([
  SiteErrorCode.invalidToken,
  SiteErrorCode.expiredToken,
  SiteErrorCode.badAuth,
]);

/** One `/ws?site=` connection: decodes requests, answers them, and is the hub's sink for it. */
export class SiteSession extends DialectSession {
  private readonly site: Site & { secret: string };
  private readonly log: Logger;
  private readonly maxJsonDepth: number | undefined;

  constructor(ws: WebSocket, options: SessionOptions) {
    super(ws, KIND, {
      hub: options.hub,
      namespace: options.site.name,
      socketLimits: options.socketLimits,
      remoteAddress: options.remoteAddress,
      rate: options.rate,
    });
    this.site = options.site;
    this.log = options.logger;
    this.maxJsonDepth = options.maxJsonDepth;
  }

  // ---- ConnectionSink ----------------------------------------------------------------------

  deliver(publication: Publication): boolean {
    return this.socket.sendFrame(renderOnce(publication, RENDER_KEY, renderFrame));
  }

  // ---- requests ----------------------------------------------------------------------------

  protected onText(text: string): void {
    this.request(text);
  }

  /** A binary frame: refused in its turn (BINARY_FRAME_ERROR), like any request. */
  protected override onBinary(): void {
    this.request(undefined);
  }

  protected override failed(err: unknown): void {
    this.log.error({ err, client: this.conn.id }, 'site request failed');
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
  protected override refuse(text: string | undefined, why: Refusal): void {
    const decoded = text === undefined ? undefined : decodeRequest(text, this.maxJsonDepth);
    const reqId = decoded?.ok ? decoded.request.reqId : decoded?.error.reqId;
    this.sendError(
      why === 'rate'
        ? new SiteError(SiteErrorCode.rateLimited, 'rate limit exceeded: slow down', reqId)
        : new SiteError(SiteErrorCode.tooManyRequests, 'too many requests waiting for an answer', reqId),
    );
  }

  protected override async handle(text: string | undefined): Promise<void> {
    if (this.conn.closed) return;
    if (text === undefined) {
      this.sendError(BINARY_FRAME_ERROR);
      return;
    }
    const decoded = decodeRequest(text, this.maxJsonDepth);
    if (!decoded.ok) {
      this.sendError(decoded.error);
      return;
    }
    const request = decoded.request;
    try {
      if (request.kind === 'subscribe') await this.subscribe(request);
      else await this.unsubscribe(request);
    } catch (err) {
      this.sendError(err instanceof SiteError ? err : this.hubError(err, request));
    }
  }

  /** A hub failure in the site's words (SITE_HUB_ERRORS); an unexpected one is logged too. */
  private hubError(err: unknown, request: SiteRequest): SiteError {
    const code = wireErrorOf(SITE_HUB_ERRORS, err) ?? SiteErrorCode.unavailable;
    const detail = err instanceof Error ? err.message : String(err);
    switch (code) {
      case SiteErrorCode.alreadySubscribed:
        return new SiteError(code, `already subscribed to channel ${request.channel}`, request.reqId);
      case SiteErrorCode.unavailable:
        this.log.warn({ err, client: this.conn.id }, 'site request failed in the hub');
        return new SiteError(code, `request failed: ${detail}`, request.reqId);
      default:
        return new SiteError(code, detail, request.reqId);
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
    // The ok goes out in onReady: after the subscription exists, before any backlog message. A
    // hub error is answered by handle (SITE_HUB_ERRORS).
    await this.hub.subscribe(this.conn, channel, {
      from: startOf(req.after),
      onReady: () => {
        answered = true;
        this.socket.send(encodeOk(reqId));
      },
    });
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

/** The site protocol's `after`: 0 live only, -1 the newest buffered first, N > 0 after ord N. */
function startOf(after: number): StreamPosition {
  if (after === 0) return { kind: 'live' };
  if (after === -1) return { kind: 'newest' };
  return { kind: 'after', ord: after };
}
