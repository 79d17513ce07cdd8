// The original protocol's two HMAC checks, both "standard base64 with padding" of HMAC-SHA256 (docs/protocol/site.md).
import { createHmac } from 'node:crypto';

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
