// The original protocol's two HMAC checks, both "standard base64 with padding" of HMAC-SHA256 (docs/protocol/site.md).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a browser must send as `auth` to subscribe: base64(hmac256(secret, channel + token)). */
export function subscribeAuth(secret: string, channel: string, token: string): string {
  return createHmac('sha256', secret)
    .update(channel + token)
    .digest('base64');
}

/** What a backend must send as `auth` to `/post`: base64(hmac256(post_secret, token)). */
export function postAuth(postSecret: string, token: string): string {
  return createHmac('sha256', postSecret).update(token).digest('base64');
}

/**
 * Constant-time string equality. Both sides are hashed first so the comparison runs on
 * equal-length buffers and the time taken says nothing about the expected value's length.
 */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
