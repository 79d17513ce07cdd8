/**
 * Access to the mesh backend API. A key belongs to one namespace: `?site=NAME` picks it (default
 * `default`), the key comes from `Authorization: Bearer KEY` or `?key=KEY`. A request that sends
 * no key is let in when its TCP peer is in the namespace's `trusted_networks`: the API of CONNMIX (the WebSocket gateway this dialect follows)
 * had no key at all and lived on an internal network, so its SDK and examples send none. A key
 * that is sent is always checked, trusted or not, so a wrong key never goes unnoticed. Checked
 * before any WebSocket upgrade. Contract: docs/protocol/mesh.md "Authentication".
 */
import type { IncomingMessage } from 'node:http';
import type { Config } from '../../app/config-schema.js';
import { secretInList } from '../../core/secret-compare.js';
import { bearerToken } from '../../transport/http-util.js';
import { peerIsTrusted } from '../../transport/trusted-networks.js';
import type { DialectContext } from '../context.js';

export const DEFAULT_NAMESPACE = 'default';

export type BackendAuth =
  | { ok: true; namespace: string; via: 'key' | 'trusted_network' }
  | { ok: false; status: 401 | 404; body: { error: string } };

/** The namespace a request names with `?site=`, or `default`. */
export function requestedNamespace(url: URL): string {
  const site = url.searchParams.get('site');
  return site === null || site === '' ? DEFAULT_NAMESPACE : site;
}

export function authorizeBackendLogged(ctx: DialectContext, req: IncomingMessage, url: URL): BackendAuth {
  const auth = authorizeBackend(ctx.config, req, url);
  if (!auth.ok && auth.status === 401) {
    ctx.hub.authFailed?.({
      dialect: 'mesh',
      reason: auth.body.error,
      namespace: requestedNamespace(url),
      address: req.socket.remoteAddress,
    });
  }
  return auth;
}

export function authorizeBackend(config: Config, req: IncomingMessage, url: URL): BackendAuth {
  const namespace = requestedNamespace(url);
  const ns = Object.hasOwn(config.namespaces, namespace) ? config.namespaces[namespace] : undefined;
  if (!ns) {
    const hint = url.searchParams.has('site')
      ? ''
      : ' (no ?site= given: configure a namespace named "default")';
    return { ok: false, status: 404, body: { error: `unknown site "${namespace}"${hint}` } };
  }
  const key = bearerToken(req) ?? url.searchParams.get('key') ?? '';
  if (key === '') {
    if (peerIsTrusted(ns.trusted_networks, req)) return { ok: true, namespace, via: 'trusted_network' };
    return {
      ok: false,
      status: 401,
      body: { error: 'an API key is required: "Authorization: Bearer KEY" or ?key=KEY' },
    };
  }
  if (ns.api_keys.length === 0 || !secretInList(key, ns.api_keys)) {
    return { ok: false, status: 401, body: { error: `wrong API key for site "${namespace}"` } };
  }
  return { ok: true, namespace, via: 'key' };
}
