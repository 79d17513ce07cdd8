// Site tokens (`GET /token`) that verify themselves: any node of a cluster that knows the site's
// secret accepts a token issued by any other node, with no shared state and no lookup.
//
// Layout, 39 bytes, sent as standard base64 (52 characters, no padding needed):
//   version (1 byte, 0x01) ‖ expiry (48-bit big-endian, ms since the epoch) ‖ nonce (16 random bytes)
//   ‖ tag (first 16 bytes of HMAC-SHA256(key, site name ‖ 0x00 ‖ the 23 preceding bytes))
// where key = HMAC-SHA256(site secret, "switchboard site token v1"). The site name inside the MAC
// means a token of site A never verifies on site B, even if both were given the same secret.
import { createHmac, randomBytes } from 'node:crypto';
import { secretEquals } from '../../core/secret-compare.js';

const VERSION = 1;
const EXPIRY_BYTES = 6;
const NONCE_BYTES = 16;
const TAG_BYTES = 16;
const SIGNED_BYTES = 1 + EXPIRY_BYTES + NONCE_BYTES;
const TOKEN_BYTES = SIGNED_BYTES + TAG_BYTES;
const KEY_LABEL = 'switchboard site token v1';

/** The per-site token key, derived once from the site's secret. */
export function tokenKey(secret: string): Buffer {
  return createHmac('sha256', secret).update(KEY_LABEL).digest();
}

function tag(key: Buffer, site: string, signed: Buffer): Buffer {
  return createHmac('sha256', key).update(site).update('\0').update(signed).digest().subarray(0, TAG_BYTES);
}

export interface IssuedToken {
  token: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

/** A fresh token for `site`, valid for `ttlSeconds` from `now`. */
export function issueToken(site: string, key: Buffer, ttlSeconds: number, now = Date.now()): IssuedToken {
  const expiresAt = now + ttlSeconds * 1000;
  const bytes = Buffer.alloc(TOKEN_BYTES);
  bytes[0] = VERSION;
  bytes.writeUIntBE(expiresAt, 1, EXPIRY_BYTES);
  randomBytes(NONCE_BYTES).copy(bytes, 1 + EXPIRY_BYTES);
  tag(key, site, bytes.subarray(0, SIGNED_BYTES)).copy(bytes, SIGNED_BYTES);
  return { token: bytes.toString('base64'), expiresAt };
}

export type TokenVerdict =
  | { ok: true; expiresAt: number }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

/**
 * Is `token` one that `issueToken(site, key, …)` produced and has it not expired at `now`? The tag
 * is compared in constant time (core/secret-compare.ts); expiry is checked only on an authentic
 * token, so a forged one is never reported as merely expired.
 */
export function verifyToken(token: string, site: string, key: Buffer, now = Date.now()): TokenVerdict {
  const bytes = Buffer.from(token, 'base64');
  // Node's base64 decoder skips junk; re-encoding pins the token to its one canonical spelling.
  if (bytes.length !== TOKEN_BYTES || bytes[0] !== VERSION || bytes.toString('base64') !== token) {
    return { ok: false, reason: 'malformed' };
  }
  const expected = tag(key, site, bytes.subarray(0, SIGNED_BYTES));
  if (!secretEquals(bytes.subarray(SIGNED_BYTES), expected)) return { ok: false, reason: 'forged' };
  const expiresAt = bytes.readUIntBE(1, EXPIRY_BYTES);
  if (now >= expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true, expiresAt };
}
