// Which namespaces are sites, read once from the config. A namespace is a site when it has a
// `secret` (subscriptions) and/or a `post_secret` (posting); tokens are keyed by `secret`, or by
// `post_secret` when a site only accepts posts.
import type { Config } from '../../app/config-schema.js';
import { tokenKey } from './tokens.js';

export interface Site {
  name: string;
  /** Subscribe HMAC key; without it the site serves no WebSocket subscriptions. */
  secret: string | undefined;
  /** Post HMAC key; without it `/post` is refused. */
  postSecret: string | undefined;
  /** Token lifetime, seconds (`expires` of `/token`). */
  tokenTtl: number;
  tokenKey: Buffer;
  /** False: `/post` accepts each token once (`post_token_reuse`). */
  postTokenReuse: boolean;
}

export type SiteLookup = { ok: true; site: Site } | { ok: false; status: number; message: string };

export class SiteRegistry {
  private readonly sites = new Map<string, Site>();

  constructor(config: Config) {
    for (const [name, ns] of Object.entries(config.namespaces)) {
      const keyMaterial = ns.secret ?? ns.post_secret;
      if (keyMaterial === undefined) continue;
      this.sites.set(name, {
        name,
        secret: ns.secret,
        postSecret: ns.post_secret,
        tokenTtl: ns.token_ttl,
        tokenKey: tokenKey(keyMaterial),
        postTokenReuse: ns.post_token_reuse,
      });
    }
  }

  /**
   * The site named by `?site=`: 400 when the parameter is missing or blank, 404 when no namespace
   * of that name has a site secret (namespaces without one are not sites, so they are unknown here).
   */
  lookup(name: string | null): SiteLookup {
    if (name === null || name.length === 0) {
      return { ok: false, status: 400, message: 'query parameter "site" is required' };
    }
    const site = this.sites.get(name);
    if (!site) return { ok: false, status: 404, message: `unknown site ${name}` };
    return { ok: true, site };
  }

  names(): string[] {
    return [...this.sites.keys()];
  }
}
