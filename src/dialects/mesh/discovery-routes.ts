/**
 * Node discovery for mesh backends, as the SDKs of CONNMIX (the WebSocket gateway whose API mesh speaks) do it before they connect (connmix-php
 * src/NodeSynchronizer.php): `GET /version` names the API versions (`{"apis": ["v1"], …}`), and
 * `GET /v1/nodes` lists the live nodes of the cluster with the `host:port` a backend should open
 * `ws://{api_server}/ws/v1` on. Contract: docs/protocol/mesh.md "Node discovery".
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { sendJson } from '../../transport/http-util.js';
import type { HttpRoute } from '../../transport/routes.js';
import type { DialectContext } from '../context.js';
import { authorizeBackendLogged } from './auth.js';

export const VERSION_PATH = '/version';
export const NODES_PATH = '/v1/nodes';

// dist/src/dialects/mesh → the package root, as from src/dialects/mesh.
const PACKAGE_VERSION = String(
  JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')).version,
);

/** The request's own `Host`, when it is a plain `host:port` (a backend reached this node by it). */
function hostOf(req: IncomingMessage): string | null {
  const host = req.headers.host;
  return host !== undefined && /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host) ? host : null;
}

export function meshDiscoveryRoutes(ctx: DialectContext): HttpRoute[] {
  return [
    {
      method: 'GET',
      path: VERSION_PATH,
      handle: (_req, res) =>
        sendJson(res, 200, { apis: ['v1'], server: 'switchboard', version: PACKAGE_VERSION }),
    },
    {
      method: 'GET',
      path: NODES_PATH,
      handle: async (req, res, url) => {
        const auth = authorizeBackendLogged(ctx, req, url);
        if (!auth.ok) return sendJson(res, auth.status, auth.body);
        const { hub } = ctx;
        const view = await hub.inspectCluster('address');
        const nodes: { id: number; api_server: string }[] = [];
        const unlisted: number[] = [];
        for (const { node, result } of view.answers) {
          // A node bound to a wildcard address without advertise_address cannot name itself; this
          // node still can: by the Host the backend used to reach it.
          const address = result.api_server ?? (node === hub.nodeId ? hostOf(req) : null);
          if (address === null) unlisted.push(node);
          else nodes.push({ id: node, api_server: address });
        }
        // Nodes that did not answer in time are left out: a backend could not reach them either.
        sendJson(res, 200, { nodes, ...(unlisted.length > 0 && { unlisted }) });
      },
    },
  ];
}
