// Operations endpoints: `GET /metrics` for Prometheus, `GET /stats` and the admin JSON API under
// `/admin/api/`, all answering errors in one shape (ops-error.ts). Reference: docs/operations.md.
import cluster from 'node:cluster';
import type { DialectContext } from '../dialects/context.js';
import { alwaysServed } from '../dialects/module.js';
import type { Dialect } from '../transport/routes.js';
import { adminApiRoutes } from './admin-api.js';
import { ADMIN_ONLY, authenticate } from './admin-auth.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { createMetrics } from './metrics.js';
import { sendOpsError } from './ops-error.js';
import { statsRoutes } from './stats.js';
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
          const auth = authenticate(ctx, req);
          if (!auth.ok) return sendOpsError(res, auth.status, auth.error);
          // A manager's credentials are valid but confined to a namespace: the scrape is server-wide.
          if (auth.principal.kind !== 'admin') return sendOpsError(res, 403, ADMIN_ONLY);
          const text = await render();
          res.writeHead(200, {
            'content-type': metrics.registry.contentType,
            'content-length': Buffer.byteLength(text),
            'cache-control': 'no-store',
          });
          res.end(text);
        },
      },
      ...statsRoutes(ctx),
      ...adminApiRoutes(ctx),
      ...dashboardRoutes(),
    ],
  };
}

/** Always served: no switch under `dialects:`. */
export const opsApiModule = alwaysServed(
  'ops-api',
  [
    { path: '/metrics', scope: 'exact', owner: 'the Prometheus scrape GET /metrics' },
    { path: '/stats', scope: 'exact', owner: 'GET /stats' },
    { path: '/admin', scope: 'tree', owner: 'the admin API and dashboard' },
    { path: '/assets', scope: 'tree', owner: "the served pages' assets", shared: true },
  ],
  opsApiDialect,
);
