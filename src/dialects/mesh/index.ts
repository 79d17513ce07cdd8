/**
 * The `mesh` dialect (docs/protocol/mesh.md: the API of CONNMIX, a WebSocket gateway): the backend API over HTTP and
 * `/ws/v1`, and the gateway clients on `mesh.client_path`. Protocol: docs/protocol/mesh.md.
 */
import type { DialectContext } from '../../app/context.js';
import type { Dialect } from '../../transport/routes.js';
import { backendUpgrade } from './backend-session.js';
import { meshDiscoveryRoutes } from './discovery-routes.js';
import { gatewayUpgrade } from './gateway.js';
import { sweepOrphanClients } from './gateway-orphans.js';
import { meshHttpRoutes } from './http-routes.js';

export function meshDialect(ctx: DialectContext): Dialect {
  const orphans = sweepOrphanClients(ctx);
  return {
    name: 'mesh',
    http: [...meshHttpRoutes(ctx), ...meshDiscoveryRoutes(ctx)],
    upgrades: [backendUpgrade(ctx), gatewayUpgrade(ctx)],
    close: async () => orphans.stop(),
  };
}
