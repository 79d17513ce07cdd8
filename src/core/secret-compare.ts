import { createHash, timingSafeEqual } from 'node:crypto';

/** Strings are hashed as UTF-8, bytes as they are. */
const digest = (s: string | Uint8Array) => createHash('sha256').update(s).digest();

/**
 * The one constant-time comparison of a secret a client sent with the expected one (API keys,
 * admin keys, HMAC signatures, rocket secrets, site token tags). Both sides are hashed to 32 bytes
 * first, so the comparison runs on equal-length buffers and its duration says nothing about where
 * they differ nor about the expected value's length.
 */
export function secretEquals(given: string | Uint8Array, expected: string | Uint8Array): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Does `given` equal one of `secrets`? Always walks every one, so neither the content nor the
 * position of a match leaks through timing.
 */
export function secretInList(given: string, secrets: readonly string[]): boolean {
  const g = digest(given);
  let found = false;
  for (const secret of secrets) if (timingSafeEqual(g, digest(secret))) found = true;
  return found;
}
