// The per-namespace Origin allow-list (`allowed_origins`, `chat.allowed_origins`), checked by each
// browser dialect's `authorize`, before the WebSocket handshake. Browsers always send `Origin` on
// a WebSocket upgrade and scripts cannot forge it, so the list stops other web pages from opening
// sockets with a visitor's cookies or tokens (cross-site WebSocket hijacking). Clients that are not
// browsers send no Origin and can claim any: they pass, and stay subject to the dialect's own
// authentication. An absent list allows every origin.
import type { IncomingMessage } from 'node:http';

/** `scheme://host[:port]` in lower case, without a trailing slash: how origins compare. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * Why the request's Origin is refused (a message for the dialect's 403 body), or undefined when
 * it may connect: no list, no Origin header, or an Origin on the list.
 */
export function originRefusal(
  req: IncomingMessage,
  allowed: readonly string[] | undefined,
): string | undefined {
  if (allowed === undefined) return undefined;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const normalized = normalizeOrigin(origin);
  if (allowed.some((a) => normalizeOrigin(a) === normalized)) return undefined;
  return `origin ${JSON.stringify(origin.slice(0, 200))} is not allowed`;
}
