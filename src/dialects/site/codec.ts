// The site wire format (docs/protocol/site.md), with no I/O: text frames in, typed requests or typed
// errors out; responses and channel messages encoded to exactly the original protocol's envelope.
import { HubErrorCode } from '../../core/errors.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH, tooDeepMessage } from '../../core/json-depth.js';
import type { JsonValue, Publication } from '../../core/types.js';
import type { HubErrorTable } from '../kit/hub-errors.js';

/** Every error a site client can be answered with. The wire carries only the message string. */
export const SiteErrorCode = {
  invalidJson: 'invalid_json',
  notAnObject: 'not_an_object',
  badReqId: 'bad_req_id',
  tooDeep: 'too_deep',
  missingRequest: 'missing_request',
  unknownRequest: 'unknown_request',
  badBody: 'bad_body',
  binaryFrame: 'binary_frame',
  invalidToken: 'invalid_token',
  expiredToken: 'expired_token',
  badAuth: 'bad_auth',
  alreadySubscribed: 'already_subscribed',
  notSubscribed: 'not_subscribed',
  invalidChannel: 'invalid_channel',
  tooManyChannels: 'too_many_channels',
  tooManyRequests: 'too_many_requests',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
} as const;
export type SiteErrorCode = (typeof SiteErrorCode)[keyof typeof SiteErrorCode];

/**
 * The site answer to each hub error. Subscribe meets the first three; every other code (the
 * engine unreachable above all) is `unavailable`, "request failed: …".
 */
export const SITE_HUB_ERRORS: HubErrorTable<SiteErrorCode> = {
  [HubErrorCode.alreadySubscribed]: SiteErrorCode.alreadySubscribed,
  [HubErrorCode.invalidChannel]: SiteErrorCode.invalidChannel,
  [HubErrorCode.tooManyChannels]: SiteErrorCode.tooManyChannels,
  [HubErrorCode.notSubscribed]: SiteErrorCode.notSubscribed,
  [HubErrorCode.unknownNamespace]: SiteErrorCode.unavailable,
  [HubErrorCode.duplicateConsumer]: SiteErrorCode.unavailable,
  [HubErrorCode.connectionClosed]: SiteErrorCode.unavailable,
  [HubErrorCode.unknownClient]: SiteErrorCode.unavailable,
  [HubErrorCode.invalidCall]: SiteErrorCode.unavailable,
  [HubErrorCode.engineUnavailable]: SiteErrorCode.unavailable,
  [HubErrorCode.invalidData]: SiteErrorCode.unavailable,
  [HubErrorCode.unwritable]: SiteErrorCode.unavailable,
  [HubErrorCode.nodeUnreachable]: SiteErrorCode.unavailable,
};

/**
 * A request the server answers with `{"response":"error"}`. `reqId` is what the response echoes
 * as `req_id` (undefined: no `req_id` key, because the request had none or it could not be read).
 */
export class SiteError extends Error {
  constructor(
    readonly code: SiteErrorCode,
    message: string,
    readonly reqId?: JsonValue,
  ) {
    super(message);
    this.name = 'SiteError';
  }
}

export interface SubscribeRequest {
  kind: 'subscribe';
  reqId: string | undefined;
  channel: string;
  /** 0 live only, -1 newest buffered then live, N > 0 buffered after ord N then live. */
  after: number;
  token: string;
  auth: string;
}

export interface UnsubscribeRequest {
  kind: 'unsubscribe';
  reqId: string | undefined;
  channel: string;
}

export type SiteRequest = SubscribeRequest | UnsubscribeRequest;

export type DecodeResult = { ok: true; request: SiteRequest } | { ok: false; error: SiteError };

type JsonObject = { [key: string]: JsonValue };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: JsonObject, key: string) => Object.hasOwn(o, key);

const fail = (code: SiteErrorCode, message: string, reqId?: JsonValue): DecodeResult => ({
  ok: false,
  error: new SiteError(code, message, reqId),
});

export const BINARY_FRAME_ERROR = new SiteError(
  SiteErrorCode.binaryFrame,
  'binary frames are not accepted: send each request as a JSON text frame',
);

/**
 * Decode one text frame. Rules for `req_id`: absent or null → the response has no `req_id`; a
 * string → echoed as given; any other JSON value → error "req_id must be a string", echoing the
 * value as given so the client can still match it.
 *
 * A request nested deeper than `maxDepth` (limits.max_json_depth) is refused before anything
 * else, echoing `req_id` only when it is a string: any other req_id may be the deep value itself.
 */
export function decodeRequest(text: string, maxDepth: number = MAX_JSON_DEPTH): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail(SiteErrorCode.invalidJson, 'request is not valid JSON');
  }
  if (jsonDepthExceeds(parsed, maxDepth)) {
    const reqId = isObject(parsed) && typeof parsed.req_id === 'string' ? parsed.req_id : undefined;
    return fail(SiteErrorCode.tooDeep, tooDeepMessage('request', maxDepth), reqId);
  }
  if (!isObject(parsed)) return fail(SiteErrorCode.notAnObject, 'request must be a JSON object');
  const rawReqId = has(parsed, 'req_id') ? parsed.req_id : null;
  if (rawReqId !== null && typeof rawReqId !== 'string') {
    return fail(SiteErrorCode.badReqId, 'req_id must be a string', rawReqId);
  }
  const reqId = rawReqId ?? undefined;
  if (!has(parsed, 'request')) return fail(SiteErrorCode.missingRequest, 'request is missing', reqId);
  const name = parsed.request;
  if (typeof name !== 'string') return fail(SiteErrorCode.missingRequest, 'request must be a string', reqId);
  const body = parsed.body;
  switch (name) {
    case 'subscribe':
      return decodeSubscribe(body, reqId);
    case 'unsubscribe':
      return decodeUnsubscribe(body, reqId);
    default:
      return fail(SiteErrorCode.unknownRequest, 'unknown request', reqId);
  }
}

function decodeSubscribe(body: JsonValue | undefined, reqId: string | undefined): DecodeResult {
  if (!isObject(body)) {
    return fail(
      SiteErrorCode.badBody,
      'subscribe body must be an object with channel, after, token and auth',
      reqId,
    );
  }
  const channel = body.channel;
  if (typeof channel !== 'string' || channel.length === 0) {
    return fail(SiteErrorCode.badBody, 'body.channel must be a non-empty string', reqId);
  }
  // A missing (or null) `after` means "only new messages", the original protocol's 0.
  const after = body.after ?? 0;
  if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < -1) {
    return fail(
      SiteErrorCode.badBody,
      'body.after must be an integer: 0 (only new), -1 (newest buffered) or the ord of the last message received',
      reqId,
    );
  }
  const { token, auth } = body;
  if (typeof token !== 'string' || token.length === 0) {
    return fail(SiteErrorCode.badBody, 'body.token must be a non-empty string (get one from /token)', reqId);
  }
  if (typeof auth !== 'string' || auth.length === 0) {
    return fail(
      SiteErrorCode.badBody,
      'body.auth must be a non-empty string: base64(hmac256(secret, channel + token))',
      reqId,
    );
  }
  return { ok: true, request: { kind: 'subscribe', reqId, channel, after, token, auth } };
}

function decodeUnsubscribe(body: JsonValue | undefined, reqId: string | undefined): DecodeResult {
  if (!isObject(body))
    return fail(SiteErrorCode.badBody, 'unsubscribe body must be an object with channel', reqId);
  const channel = body.channel;
  if (typeof channel !== 'string' || channel.length === 0) {
    return fail(SiteErrorCode.badBody, 'body.channel must be a non-empty string', reqId);
  }
  return { ok: true, request: { kind: 'unsubscribe', reqId, channel } };
}

/** `{"response","req_id"?,"body"}`, keys in the original protocol's order. */
export function encodeResponse(
  status: 'ok' | 'error',
  reqId: JsonValue | undefined,
  body: JsonValue,
): string {
  return JSON.stringify(
    reqId === undefined ? { response: status, body } : { response: status, req_id: reqId, body },
  );
}

export const encodeOk = (reqId: JsonValue | undefined, body: JsonValue = null) =>
  encodeResponse('ok', reqId, body);
export const encodeError = (error: SiteError) => encodeResponse('error', error.reqId, error.message);

/**
 * `{"message": channel, "ord": ord, "body": data}` as UTF-8 bytes, sent as a text frame. A binary
 * publication's bytes travel as a base64 string, the only JSON rendering of bytes.
 */
export function encodeMessage(p: Publication): Buffer {
  const body = Buffer.isBuffer(p.data) ? p.data.toString('base64') : p.data;
  return Buffer.from(JSON.stringify({ message: p.channel, ord: p.ord, body }));
}
