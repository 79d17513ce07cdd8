// Dialect `site` (docs/protocol/site.md): browsers subscribe over `GET /ws?site=NAME`, backends get
// tokens and post over HTTP. Protocol reference: docs/protocol/site.md.

import { socketLimitsFor } from '../../transport/client-socket.js';
import { originRefusal } from '../../transport/origin.js';
import type { Dialect, UpgradeDecision, UpgradeRoute } from '../../transport/routes.js';
import type { DialectContext } from '../context.js';
import type { DialectModule } from '../module.js';
import { siteNamespaceKeys } from './config.js';
import { siteHttpRoutes } from './http-routes.js';
import { SiteSession } from './session.js';
import { type Site, SiteRegistry } from './sites.js';

type SubscribableSite = Site & { secret: string };

export function siteDialect(ctx: DialectContext): Dialect {
  const sites = new SiteRegistry(ctx.config);
  // Shared by every session (the config does not change while the server runs).
  const rate = {
    perSecond: ctx.config.limits.max_messages_per_second,
    burst: ctx.config.limits.max_messages_burst,
  };
  const refuse = (status: number, message: string): UpgradeDecision<SubscribableSite> => ({
    ok: false,
    status,
    body: { status: 'error', message },
  });

  const ws: UpgradeRoute<SubscribableSite> = {
    path: '/ws',
    // `/ws` is shared with chat, which takes `?username=`/`?name=`.
    accepts: (url) => url.searchParams.has('site'),
    authorize: (req, url) => {
      const found = sites.lookup(url.searchParams.get('site'));
      if (!found.ok) return refuse(found.status, found.message);
      const { site } = found;
      const badOrigin = originRefusal(req, ctx.config.namespaces[site.name]?.allowed_origins);
      if (badOrigin !== undefined) return refuse(403, badOrigin);
      if (site.secret === undefined) {
        return refuse(404, `site ${site.name} has no secret configured, so it serves no subscriptions`);
      }
      // The registry's own object, narrowed: a copy per connection cost each one ~70 B.
      return { ok: true, state: site as SubscribableSite };
    },
    onConnection: (socket, req, _url, site) => {
      new SiteSession(socket, {
        hub: ctx.hub,
        site,
        socketLimits: socketLimitsFor(ctx.config.limits),
        rate,
        remoteAddress: req.socket.remoteAddress,
        logger: ctx.logger,
        maxJsonDepth: ctx.config.limits.max_json_depth,
      });
    },
  };

  return { name: 'site', http: siteHttpRoutes(ctx, sites), upgrades: [ws] };
}

export const siteModule: DialectModule<'site', undefined, typeof siteNamespaceKeys> = {
  name: 'site',
  configSchema: {
    toggle: 'The site dialect: `/ws?site=`, `/token`, `/post`',
    namespaceKeys: siteNamespaceKeys,
    sample: {
      toggle: '# site: true                  # /ws?site=, /token, /post',
      namespace: `secret: \${SECRET}       # site: key of the subscribe HMAC
post_secret: \${SECRET}  # site: key of the /post HMAC
# token_ttl: 300                # seconds a /token stays valid
# post_token_reuse: true        # false: each token works for one /post only (replays get 403)`,
    },
  },
  routes: () => [
    { path: '/ws', scope: 'exact', owner: 'the site WebSocket endpoint (/ws?site=)', shared: true },
    { path: '/token', scope: 'exact', owner: "site's GET /token" },
    { path: '/post', scope: 'exact', owner: "site's POST /post" },
  ],
  create: siteDialect,
};
