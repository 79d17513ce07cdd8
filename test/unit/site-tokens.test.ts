import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secretEquals as safeEqual } from '../../src/core/secret-compare.js';
import { postAuth, subscribeAuth } from '../../src/dialects/site/auth.js';
import { issueToken, tokenKey, verifyToken } from '../../src/dialects/site/tokens.js';

const KEY = tokenKey('site-secret');
const NOW = Date.UTC(2030, 0, 1);

/**
 * A token built by hand (node one-liner with node:crypto only, not this module) for site "demo",
 * secret "site-secret", expiry 2100-01-01T00:00:00Z, nonce bytes 00..0f:
 *   key = hmac256("site-secret", "switchboard site token v1")
 *   bytes = 01 ‖ uint48be(4102444800000) ‖ 000102…0f ‖ hmac256(key, "demo\0" ‖ bytes[0..23])[0..16]
 */
const FIXED_TOKEN = 'AQO7LMPYAAABAgMEBQYHCAkKCwwNDg8ExvpI2AnjUuLLNaKBgIMP';

describe('site tokens', () => {
  it('round-trips: a fresh token verifies until its expiry, for its ttl exactly', () => {
    const { token, expiresAt } = issueToken('demo', KEY, 300, NOW);
    assert.equal(expiresAt, NOW + 300_000);
    assert.match(token, /^[A-Za-z0-9+/]{52}$/);
    assert.deepEqual(verifyToken(token, 'demo', KEY, NOW), { ok: true, expiresAt });
    assert.deepEqual(verifyToken(token, 'demo', KEY, expiresAt - 1), { ok: true, expiresAt });
  });

  it('reports expiry with an injected clock', () => {
    const { token, expiresAt } = issueToken('demo', KEY, 1, NOW);
    assert.deepEqual(verifyToken(token, 'demo', KEY, expiresAt), { ok: false, reason: 'expired' });
    assert.deepEqual(verifyToken(token, 'demo', KEY, NOW + 10_000), { ok: false, reason: 'expired' });
  });

  it('issues a different token each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(issueToken('demo', KEY, 300, NOW).token);
    assert.equal(seen.size, 100);
  });

  it('refuses a token with any byte changed (including a pushed-back expiry)', () => {
    const { token } = issueToken('demo', KEY, 1, NOW);
    const bytes = Buffer.from(token, 'base64');
    for (let i = 0; i < bytes.length; i++) {
      const copy = Buffer.from(bytes);
      copy[i] = copy[i]! ^ 0x01;
      const verdict = verifyToken(copy.toString('base64'), 'demo', KEY, NOW);
      assert.equal(verdict.ok, false, `byte ${i}`);
      assert.notEqual(!verdict.ok && verdict.reason, 'expired');
    }
  });

  it('never reports a forged token as merely expired', () => {
    const { token } = issueToken('demo', KEY, 1, NOW);
    assert.deepEqual(verifyToken(token, 'other', KEY, NOW + 10_000), { ok: false, reason: 'forged' });
  });

  it('refuses a token of one site on another, even with the same secret', () => {
    const { token } = issueToken('demo', KEY, 300, NOW);
    assert.deepEqual(verifyToken(token, 'other', KEY, NOW), { ok: false, reason: 'forged' });
    assert.deepEqual(verifyToken(token, 'demo', tokenKey('another-secret'), NOW), {
      ok: false,
      reason: 'forged',
    });
    // The site name is delimited inside the MAC: "dem" + "o…" cannot pose as "demo" + "…".
    assert.equal(verifyToken(token, 'dem', KEY, NOW).ok, false);
  });

  it('refuses malformed tokens: wrong length, version, alphabet or a non-canonical spelling', () => {
    const { token } = issueToken('demo', KEY, 300, NOW);
    const bytes = Buffer.from(token, 'base64');
    const v2 = Buffer.from(bytes);
    v2[0] = 2;
    for (const bad of [
      '',
      'x',
      'fskdfkjnKJkj',
      token.slice(0, -4),
      `${token}AAAA`,
      v2.toString('base64'),
      token.replace(/\+/g, '-').replace(/\//g, '_').padEnd(53, '-'),
      `${token.slice(0, 20)} ${token.slice(20)}`,
      `${token}=`,
      Buffer.alloc(39).toString('base64'),
    ]) {
      assert.deepEqual(verifyToken(bad, 'demo', KEY, NOW), { ok: false, reason: 'malformed' }, bad);
    }
  });

  it('verifies a token built independently by hand (known-answer)', () => {
    assert.deepEqual(verifyToken(FIXED_TOKEN, 'demo', KEY, NOW), {
      ok: true,
      expiresAt: Date.UTC(2100, 0, 1),
    });
    assert.equal(verifyToken(FIXED_TOKEN, 'other', KEY, NOW).ok, false);
  });
});

describe('site HMACs', () => {
  // Expected values computed once with openssl, independently of this code:
  //   printf '%s' 'newsabc' | openssl dgst -sha256 -hmac site-secret -binary | base64
  //   printf '%s' "$FIXED_TOKEN" | openssl dgst -sha256 -hmac post-secret -binary | base64
  it('matches known-answer vectors computed with openssl', () => {
    assert.equal(subscribeAuth('site-secret', 'news', 'abc'), 'eOweC4Wj7s17wpevQ7Rg/m56XwG7ckCKBagYfA9aQ30=');
    assert.equal(
      subscribeAuth('site-secret', 'news', FIXED_TOKEN),
      'wARlLtkQXFbXSA3XMTjogJbwxqyQzgDYtOhlUPQkXfY=',
    );
    assert.equal(postAuth('post-secret', FIXED_TOKEN), 'eRpKuKdCVn4QFTPUZgpQ4xXNiuvEBcDzZu48NEOzL9c=');
  });

  it('compares strings whatever their lengths', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('', 'abc'), false);
    assert.equal(safeEqual('abc'.repeat(100), 'abc'), false);
  });
});
