// The client's side of the site wire format (docs/protocol/site.md): requests out, server frames
// in. Pure functions, no I/O, nothing Node-only, so the SDK runs unchanged in browsers.

/** What a text frame from the server turned out to be. */
export type ServerFrame =
  | { kind: 'response'; ok: boolean; reqId: string | undefined; body: unknown }
  | { kind: 'message'; channel: string; ord: number; body: unknown }
  /** Valid JSON in neither shape (a mesh backend may `send` anything to a site connection). */
  | { kind: 'other'; text: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Classify one text frame. Never throws: what cannot be read is `other`. */
export function parseServerFrame(text: string): ServerFrame {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { kind: 'other', text };
  }
  if (!isObject(v)) return { kind: 'other', text };
  if ((v.response === 'ok' || v.response === 'error') && Object.hasOwn(v, 'body')) {
    const reqId = typeof v.req_id === 'string' ? v.req_id : undefined;
    return { kind: 'response', ok: v.response === 'ok', reqId, body: v.body };
  }
  if (typeof v.message === 'string' && Number.isSafeInteger(v.ord) && Object.hasOwn(v, 'body')) {
    return { kind: 'message', channel: v.message, ord: v.ord as number, body: v.body };
  }
  return { kind: 'other', text };
}

export function encodeSubscribe(
  reqId: string,
  channel: string,
  after: number,
  token: string,
  auth: string,
): string {
  return JSON.stringify({ request: 'subscribe', req_id: reqId, body: { channel, after, token, auth } });
}

export function encodeUnsubscribe(reqId: string, channel: string): string {
  return JSON.stringify({ request: 'unsubscribe', req_id: reqId, body: { channel } });
}

/**
 * The server's error codes (the wire carries only the message; the codes are named in the
 * protocol page). `unknown` for a message this SDK does not recognise.
 */
export const ServerErrorCode = {
  invalidToken: 'invalid_token',
  expiredToken: 'expired_token',
  badAuth: 'bad_auth',
  badBody: 'bad_body',
  alreadySubscribed: 'already_subscribed',
  notSubscribed: 'not_subscribed',
  invalidChannel: 'invalid_channel',
  tooManyChannels: 'too_many_channels',
  tooDeep: 'too_deep',
  /** HTTP `/post` only (a site with `post_token_reuse: false`); named for SDK users who post too. */
  tokenUsed: 'token_used',
  rateLimited: 'rate_limited',
  tooManyRequests: 'too_many_requests',
  unavailable: 'unavailable',
  unknown: 'unknown',
} as const;
export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

// Message prefixes of the protocol page's error table; they are part of the documented contract.
const PREFIXES: [string, ServerErrorCode][] = [
  ['invalid token', ServerErrorCode.invalidToken],
  ['token has expired', ServerErrorCode.expiredToken],
  ['auth does not match', ServerErrorCode.badAuth],
  ['already subscribed', ServerErrorCode.alreadySubscribed],
  ['not subscribed', ServerErrorCode.notSubscribed],
  // `channel name is empty` / `channel name must be …` (the shared rule of src/core/channel-name.ts).
  ['channel name', ServerErrorCode.invalidChannel],
  ['too many channels', ServerErrorCode.tooManyChannels],
  ['request is nested too deeply', ServerErrorCode.tooDeep],
  ['token already used', ServerErrorCode.tokenUsed],
  ['rate limit exceeded', ServerErrorCode.rateLimited],
  ['too many requests', ServerErrorCode.tooManyRequests],
  ['request failed', ServerErrorCode.unavailable],
  ['body.', ServerErrorCode.badBody],
  ['subscribe body', ServerErrorCode.badBody],
  ['unsubscribe body', ServerErrorCode.badBody],
];

export function classifyServerError(message: string): ServerErrorCode {
  for (const [prefix, code] of PREFIXES) if (message.startsWith(prefix)) return code;
  return ServerErrorCode.unknown;
}
