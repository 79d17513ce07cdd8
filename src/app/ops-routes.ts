import { sendJson } from '../transport/http-util.js';
import type { Dialect } from '../transport/routes.js';
import type { DialectContext } from './context.js';
import { sdkRoutes } from './sdk-routes.js';

/** Liveness and readiness probes for load balancers and orchestrators, and the served browser SDK. */
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
          const ready = ctx.ready();
          sendJson(res, ready ? 200 : 503, {
            status: ready ? 'ready' : 'not ready',
            engine: ctx.hub.engineKind,
          });
        },
      },
      ...sdkRoutes(),
    ],
  };
}
