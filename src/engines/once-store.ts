/**
 * OnceStore: claim a key once across the cluster (one-use site post tokens, `post_token_reuse:
 * false`). One piece of the engine (engine.ts); its conformance suite is
 * test/conformance/once-store-suite.ts.
 */
export interface OnceStore {
  /**
   * Resolves true for the first claim of `key`, false for every later one until `ttlMs` has passed
   * since the first (then the key may be claimed again). Atomic: of concurrent claims on any
   * nodes, exactly one wins. Rejects if shared state is unreachable. The caller scopes the key
   * (the hub puts the namespace into it).
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
}
