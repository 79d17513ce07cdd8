import type { DialectContext } from '../dialects/context.js';
import { alwaysServed } from '../dialects/module.js';
import { sendOpsError } from '../ops/ops-error.js';
import { sendJson } from '../transport/http-util.js';
import type { Dialect } from '../transport/routes.js';
import { sdkRoutes } from './sdk-routes.js';

/**
 * Liveness and readiness probes for load balancers and orchestrators, and the served browser SDK.
 * The probes' refusals (503 not ready; 404/405/503 from the listener) use the operator endpoints'
 * error shape (src/ops/ops-error.ts).
 */
export function opsDialect(ctx: DialectContext): Dialect {
  return {
    name: 'ops',
    upgrades: [],
    http: [
      {
        method: 'GET',
        path: '/healthz',
        handle: (_req, res) => sendJson(res, 200, { status: 'ok' }),
      },
      {
        method: 'GET',
        path: '/readyz',
        handle: (_req, res) => {
          const engine = ctx.hub.engineKind;
          if (ctx.ready()) return sendJson(res, 200, { status: 'ready', engine });
          // The operator endpoints' error shape, keeping the fields probes and scripts read.
          sendOpsError(res, 503, `not ready: the ${engine} engine does not answer`, {
            status: 'not ready',
            engine,
          });
        },
      },
      ...sdkRoutes(),
    ],
  };
}

/** Always served: no switch under `dialects:`. */
export const opsModule = alwaysServed(
  'ops',
  [
    { path: '/healthz', scope: 'exact', owner: 'the liveness probe GET /healthz' },
    { path: '/readyz', scope: 'exact', owner: 'the readiness probe GET /readyz' },
    { path: '/sdk', scope: 'tree', owner: 'the browser SDK bundles' },
  ],
  opsDialect,
);
