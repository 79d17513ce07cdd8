// Operations endpoints: `GET /metrics` for Prometheus and the admin JSON API under
// `/admin/api/`. Reference: docs/operations.md.
import cluster from 'node:cluster';
import type { DialectContext } from '../app/context.js';
import { sendJson } from '../transport/http-util.js';
import type { Dialect } from '../transport/routes.js';
import { adminApiRoutes } from './admin-api.js';
import { checkAdminKey } from './admin-auth.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { createMetrics } from './metrics.js';
import { workerMetricsRender } from './worker-metrics.js';

export { countError } from './metrics.js';

export function opsApiDialect(ctx: DialectContext): Dialect {
  const metrics = createMetrics(ctx);
  // Under `serve --workers`, one scrape of the shared port answers for every worker.
  const render =
    cluster.isWorker && ctx.config.workers !== 1 ? workerMetricsRender(metrics) : () => metrics.render();
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
          const text = await render();
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
