/**
 * The `mesh` dialect (docs/protocol/mesh.md: the API of CONNMIX, a WebSocket gateway): the backend API over HTTP and
 * `/ws/v1`, and the gateway clients on `mesh.client_path`. Protocol: docs/protocol/mesh.md.
 */

import { stringAt } from '../../app/config-fields.js';
import type { Dialect } from '../../transport/routes.js';
import type { DialectContext } from '../context.js';
import type { DialectModule, RouteClaim } from '../module.js';
import { backendUpgrade } from './backend-session.js';
import { meshNamespaceKeys, meshSection } from './config.js';
import { meshDiscoveryRoutes, VERSION_PATH } from './discovery-routes.js';
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

export const meshModule: DialectModule<'mesh', typeof meshSection, typeof meshNamespaceKeys> = {
  name: 'mesh',
  configSchema: {
    toggle: 'The mesh dialect: `/ws/v1`, `/v1/*`, the gateway client endpoint',
    section: meshSection,
    namespaceKeys: meshNamespaceKeys,
    sample: {
      toggle: '# mesh: true                  # /ws/v1, /v1/*, the gateway client endpoint',
      section: `# mesh:
#   client_path: /client        # WebSocket path of gateway clients
#   close_after_lost_items: 1   # lost items (Redis down) before a gateway client gets 1013; 0: never`,
      namespace: `api_keys:                       # mesh: Bearer keys of backends (/ws/v1, /v1/*)
  - \${SECRET}
# trusted_networks: [10.0.0.0/8]  # mesh: peers (TCP address, not X-Forwarded-For) needing no key
# client_topic: client          # queue topic of gateway client traffic`,
    },
  },
  routes: (config) => {
    const claims: RouteClaim[] = [
      { path: '/ws/v1', scope: 'exact', owner: "the mesh backends' WebSocket endpoint" },
      { path: '/v1', scope: 'tree', owner: "the mesh backends' HTTP API" },
      { path: VERSION_PATH, scope: 'exact', owner: "mesh's GET /version" },
    ];
    const clientPath = stringAt(config, 'mesh', 'client_path');
    if (clientPath !== undefined)
      claims.push({
        path: clientPath,
        scope: 'exact',
        owner: 'the mesh client_path',
        key: ['mesh', 'client_path'],
      });
    return claims;
  },
  create: meshDialect,
};
