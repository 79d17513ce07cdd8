// Request/response correlation by req_id for one client. Each request is answered exactly once:
// by the server's response, or by `failAll` when its socket is gone.
import { SiteClientError } from './errors.js';
import type { WebSocketLike } from './types.js';
import { classifyServerError } from './wire.js';

/** A request that died with its socket: the caller repeats it on the next connection, silently. */
export class ConnectionLost {}

export interface RequestHandlers {
  /** The channel the request is about, named in its error. */
  channel?: string;
  /** Called synchronously with the ok frame, before any frame after it is handled. */
  ok(body: unknown): void;
  fail(error: SiteClientError | ConnectionLost): void;
}

interface Pending extends RequestHandlers {
  timer: ReturnType<typeof setTimeout>;
}

export class Requests {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;

  /**
   * Write one request built around a fresh req_id. `onTimeout` runs if no answer comes within
   * `timeoutMs` (the caller drops the socket, which fails this request with the others).
   */
  send(
    ws: WebSocketLike,
    build: (reqId: string) => string,
    handlers: RequestHandlers,
    timeoutMs: number,
    onTimeout: () => void,
  ): void {
    const reqId = String(++this.seq);
    this.pending.set(reqId, { ...handlers, timer: setTimeout(onTimeout, timeoutMs) });
    ws.send(build(reqId));
  }

  /** Settle the request a response answers; false if it answers none of ours. */
  answer(reqId: string | undefined, ok: boolean, body: unknown): boolean {
    const request = reqId === undefined ? undefined : this.pending.get(reqId);
    if (!request || reqId === undefined) return false;
    this.pending.delete(reqId);
    clearTimeout(request.timer);
    if (ok) request.ok(body);
    else request.fail(serverError(body, request.channel));
    return true;
  }

  failAll(error: SiteClientError | ConnectionLost): void {
    const requests = [...this.pending.values()];
    this.pending.clear();
    for (const r of requests) {
      clearTimeout(r.timer);
      r.fail(error);
    }
  }
}

export function serverError(body: unknown, channel?: string): SiteClientError {
  const message = typeof body === 'string' ? body : JSON.stringify(body);
  return new SiteClientError('server', message, { channel, serverCode: classifyServerError(message) });
}

/** Silence a socket we no longer use; `ws` throws on an 'error' without a listener, so never null. */
export function detach(ws: WebSocketLike): void {
  ws.onopen = () => undefined;
  ws.onmessage = () => undefined;
  ws.onclose = () => undefined;
  ws.onerror = () => undefined;
}

export function safeClose(ws: WebSocketLike, code: number, reason: string): void {
  try {
    // Browsers throw on reasons over 123 bytes; ours are short, but never let this throw.
    ws.close(code, reason.slice(0, 100));
  } catch {
    // already closing
  }
}
