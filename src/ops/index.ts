// Operations endpoints (issue 9): `GET /metrics` for Prometheus and the admin JSON API under
// `/admin/api/`. Reference: docs/operations.md.
import type { DialectContext } from '../app/context.js';
import { sendJson } from '../transport/http-util.js';
import type { Dialect } from '../transport/routes.js';
import { adminApiRoutes } from './admin-api.js';
import { checkAdminKey } from './admin-auth.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { createMetrics } from './metrics.js';

export { countError } from './metrics.js';

export function opsApiDialect(ctx: DialectContext): Dialect {
  const metrics = createMetrics(ctx);
  return {
    name: 'ops-api',
    upgrades: [],
    http: [
      {
        method: 'GET',
        path: '/metrics',
        handle: async (req, res) => {
          const auth = checkAdminKey(ctx, req);
          if (!auth.ok) return sendJson(res, auth.status, { error: auth.error });
          const text = await metrics.render();
          res.writeHead(200, {
            'content-type': metrics.registry.contentType,
            'content-length': Buffer.byteLength(text),
            'cache-control': 'no-store',
          });
          res.end(text);
        },
      },
      ...adminApiRoutes(ctx),
      ...dashboardRoutes(),
    ],
  };
}
