// Pusher's signatures (docs/protocol/pusher.md, "Authentication"): HMAC-SHA256 with the app
// secret, hex-encoded. Every comparison of a signature runs in constant time.
import { createHash, createHmac } from 'node:crypto';
import { secretEquals as safeEqual } from '../../core/secret-compare.js';

export function sign(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

export function md5(body: Buffer | string): string {
  return createHash('md5').update(body).digest('hex');
}

/**
 * A channel or sign-in `auth` is `KEY:SIGNATURE`, the signature over `signed`. True when the key
 * is the app's and the signature matches.
 */
export function checkAuth(auth: string | undefined, key: string, secret: string, signed: string): boolean {
  if (auth === undefined) return false;
  const colon = auth.indexOf(':');
  if (colon < 0) return false;
  const givenKey = auth.slice(0, colon);
  const given = auth.slice(colon + 1);
  const expected = sign(secret, signed);
  // Both compared, always: the time taken does not tell which part was wrong.
  const keyOk = safeEqual(givenKey, key);
  return safeEqual(given, expected) && keyOk;
}

/** What a channel subscription's signature covers. */
export function channelAuthText(socketId: string, channel: string, channelData?: string): string {
  return channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
}

/** What a user sign-in's signature covers. */
export function signinAuthText(socketId: string, userData: string): string {
  return `${socketId}::user::${userData}`;
}

export interface SignedRequestCheck {
  method: string;
  /** The request path as sent (`/apps/ID/events`). */
  path: string;
  query: URLSearchParams;
  body: Buffer;
  key: string;
  secret: string;
  /** Seconds either side of now that `auth_timestamp` may be. */
  windowSeconds: number;
  nowSeconds: number;
}

/**
 * Verify a signed HTTP API request: `auth_key`, `auth_timestamp` within the window, `auth_version`
 * 1.0, `body_md5` of a non-empty body, and `auth_signature` over `METHOD\nPATH\nQUERY` where QUERY
 * is every other parameter, keys lowercased, sorted, joined `k=v` with `&` (values as sent).
 * Returns the reason for a refusal, or undefined when the request is authentic.
 */
export function signedRequestProblem(r: SignedRequestCheck): string | undefined {
  const q = r.query;
  const key = q.get('auth_key');
  const timestamp = q.get('auth_timestamp');
  const version = q.get('auth_version');
  const signature = q.get('auth_signature');
  if (key === null || timestamp === null || version === null || signature === null)
    return 'Missing auth_key, auth_timestamp, auth_version or auth_signature';
  if (!safeEqual(key, r.key)) return 'Unknown auth_key';
  if (version !== '1.0') return 'auth_version must be 1.0';
  const ts = Number(timestamp);
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(r.nowSeconds - ts) > r.windowSeconds)
    return `Timestamp expired: auth_timestamp must be within ${r.windowSeconds} s of the server time`;
  if (r.body.length > 0) {
    const given = q.get('body_md5');
    if (given === null || !safeEqual(given, md5(r.body))) return 'body_md5 does not match the body';
  }
  const pairs: [string, string][] = [];
  for (const [k, v] of q) if (k !== 'auth_signature') pairs.push([k.toLowerCase(), v]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const text = `${r.method}\n${r.path}\n${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
  if (!safeEqual(signature, sign(r.secret, text))) return 'Invalid signature: check your app secret';
  return undefined;
}
