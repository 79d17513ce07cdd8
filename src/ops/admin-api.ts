// The admin HTTP API under /admin/api/ (reference: docs/operations.md "Admin API"). JSON in and
// out, snake_case keys as in /stats (`stats` itself is in stats.ts, shared with /stats).
// `connections`, the per-namespace counts of `namespaces` and the subscribers of a channel list
// cover every node of the cluster (each node asked through the hub's `inspect` control message,
// `?local=1` for this node only). Actions on a
// connection by id (send, subscribe, kick) are routed by the hub to whatever node holds it.

import type { Connection } from '../core/connection.js';
import { HubError, HubErrorCode } from '../core/errors.js';
import {
  type ChannelFigures,
  connectionView,
  type NamespaceTotals,
  sumChannels,
  sumNamespaces,
} from '../core/inspect.js';
import { nodeOfClientId } from '../core/snowflake.js';
import type { JsonValue } from '../core/types.js';
import type { DialectContext } from '../dialects/context.js';
import type { HttpRoute } from '../transport/routes.js';
import { namespaceRefusal, type Principal } from './admin-auth.js';
import { ApiError, apiRoute, hubErrorStatus, intParam, publicationJson, readObject } from './admin-http.js';
import { namespaceNames } from './metrics.js';
import { localOnly, reportMissing } from './stats.js';

const SEG = '([^/]+)';
const NS = `^/admin/api/namespaces/${SEG}`;
const CONN = `^/admin/api/connections/${SEG}`;

export function adminApiRoutes(ctx: DialectContext): HttpRoute[] {
  const { hub, config } = ctx;
  const bodyLimit = config.limits.max_http_body_bytes;
  const depthLimit = config.limits.max_json_depth;

  /** The namespace a request may act on: 403 outside a manager's own, 404 when unknown. */
  const namespaceFor = (principal: Principal, ns: string): string => {
    const refusal = namespaceRefusal(principal, ns);
    if (refusal) throw new ApiError(refusal.status, refusal.error);
    if (!hub.namespace(ns)) throw new ApiError(404, `unknown namespace ${ns}`);
    return ns;
  };

  /**
   * A manager may only touch connections of its namespace, which can be checked only for this
   * node's connections; the admin key reaches any node.
   */
  const connectionFor = (principal: Principal, id: string, remoteOk = false): Connection | undefined => {
    const conn = hub.connection(id);
    if (principal.kind === 'admin') return conn;
    if (!conn) {
      if (remoteOk) return undefined;
      throw new ApiError(404, noSuchConnection(id));
    }
    namespaceFor(principal, conn.namespace);
    return conn;
  };
  /** Routed sends and calls carry the manager's namespace, so the holding node enforces it too. */
  const scope = (principal: Principal) => (principal.kind === 'manager' ? principal.namespace : undefined);

  const local = (ns?: string) =>
    [...hub.localConnections()].filter((c) => ns === undefined || c.namespace === ns);

  return [
    apiRoute(ctx, 'GET', '/admin/api/namespaces', async ({ principal, url, res }) => {
      const names = namespaceNames(ctx).filter((ns) => !namespaceRefusal(principal, ns));
      const row = (name: string, t: NamespaceTotals) => ({
        name,
        history_size: hub.namespace(name)?.historySize ?? null,
        rocket_path: config.namespaces[name]?.rocket?.path ?? null,
        connections: t.connections,
        subscriptions: t.subscriptions,
      });
      if (localOnly(url)) {
        const own = [{ node: hub.nodeId, result: hub.inspectLocal('namespaces', scope(principal)) }];
        const totals = sumNamespaces(own, names);
        return names.map((name) => row(name, totals.get(name)!));
      }
      // A manager's question to the other nodes is about its own namespace only.
      const view = await hub.inspectCluster('namespaces', scope(principal));
      reportMissing(res, view.missing);
      const totals = sumNamespaces(view.answers, names);
      return names.map((name) => {
        const t = totals.get(name)!;
        return {
          ...row(name, t),
          nodes: t.nodes,
          missing: view.missing,
          ...(view.error !== undefined && { cluster_error: view.error }),
        };
      });
    }),

    apiRoute(ctx, 'GET', new RegExp(`${NS}/channels$`), async ({ principal, params, url, res }) => {
      const ns = namespaceFor(principal, params[0]!);
      const onlyHere = localOnly(url);
      // The engine's channel list and the nodes' counts are independent questions: asked together.
      const [known, view] = await Promise.all([
        hub.channels(ns),
        onlyHere ? undefined : hub.inspectCluster('channels', ns),
      ]);
      if (view) reportMissing(res, view.missing);
      const counts: ChannelFigures[] = view
        ? view.answers.map((a) => a.result)
        : [hub.inspectLocal('channels', ns)];
      const { watchers, channels: subscribers } = sumChannels(counts);
      const rows = known.map((info) => ({
        name: info.name,
        last_ord: info.top,
        last_time: info.last?.time ?? null,
        subscribers: (subscribers.get(info.name) ?? 0) + watchers,
      }));
      // Channels with subscribers but nothing published yet exist too, from a client's view.
      const listed = new Set(known.map((k) => k.name));
      for (const [name, n] of subscribers) {
        if (!listed.has(name)) rows.push({ name, last_ord: 0, last_time: null, subscribers: n + watchers });
      }
      return rows.sort((a, b) => a.name.localeCompare(b.name));
    }),

    apiRoute(ctx, 'GET', new RegExp(`${NS}/channels/${SEG}/history$`), async ({ principal, params, url }) => {
      const ns = namespaceFor(principal, params[0]!);
      const after = intParam(url, 'after');
      const last = intParam(url, 'last');
      if (after !== undefined && last !== undefined)
        throw new ApiError(400, 'give either after or last, not both');
      const result = await hub.history(ns, params[1]!, last !== undefined ? { last } : { after: after ?? 0 });
      return { channel: params[1], top: result.top, publications: result.publications.map(publicationJson) };
    }),

    apiRoute(
      ctx,
      'POST',
      new RegExp(`${NS}/channels/${SEG}/publish$`),
      async ({ principal, params, req }) => {
        const ns = namespaceFor(principal, params[0]!);
        const body = await readObject(req, bodyLimit, depthLimit);
        if (!('data' in body) || body.data === undefined) throw new ApiError(400, 'data is required');
        if (body.event !== undefined && typeof body.event !== 'string') {
          throw new ApiError(400, 'event must be a string');
        }
        const input = {
          data: body.data as JsonValue,
          ...(body.event !== undefined && { event: body.event }),
        };
        const { publication, delivered } = await hub.publish(ns, params[1]!, input, { count: true });
        // The admin API's documented shape keeps mesh.publish's short keys.
        const counts = { s: delivered?.delivered ?? 0, f: delivered?.failed ?? 0 };
        return {
          channel: publication.channel,
          ord: publication.ord,
          time: publication.time,
          delivered: counts,
        };
      },
    ),

    apiRoute(ctx, 'GET', new RegExp(`${NS}/topics$`), async ({ principal, params }) => {
      const ns = namespaceFor(principal, params[0]!);
      return await hub.queueStats(ns);
    }),

    apiRoute(ctx, 'GET', '/admin/api/connections', async ({ principal, url, res }) => {
      const asked = url.searchParams.get('namespace') ?? undefined;
      const ns =
        asked !== undefined
          ? namespaceFor(principal, asked)
          : principal.kind === 'manager'
            ? principal.namespace
            : undefined;
      if (localOnly(url)) return local(ns).map((c) => connectionView(c, hub.nodeId));
      const view = await hub.inspectCluster('connections', ns);
      reportMissing(res, view.missing);
      return view.answers.flatMap((a) => a.result);
    }),

    apiRoute(ctx, 'GET', new RegExp(`${CONN}$`), async ({ principal, params }) => {
      const id = params[0]!;
      const conn = connectionFor(principal, id, true);
      if (conn) return connectionView(conn, hub.nodeId);
      // Held by another node (or gone): ask the node its id names, within the manager's namespace.
      const node = nodeOfClientId(id);
      if (node !== undefined && node !== hub.nodeId) {
        const views = await hub.inspectNode(node, 'connections', scope(principal)).catch(() => []);
        const found = views.find((c) => c.id === id);
        if (found) return found;
      }
      throw new ApiError(404, noSuchConnection(id));
    }),

    apiRoute(ctx, 'POST', new RegExp(`${CONN}/send$`), async ({ principal, params, req }) => {
      const id = params[0]!;
      connectionFor(principal, id, true);
      const body = await readObject(req, bodyLimit, depthLimit);
      if (body.data === undefined) throw new ApiError(400, 'data is required');
      const binary = body.binary === true;
      if (binary && typeof body.data !== 'string')
        throw new ApiError(400, 'binary data must be a base64 string');
      const data = typeof body.data === 'string' ? body.data : JSON.stringify(body.data);
      return done(hub.sendTo(id, data, binary, scope(principal)), id);
    }),

    apiRoute(
      ctx,
      'POST',
      new RegExp(`${CONN}/(subscribe|unsubscribe)$`),
      async ({ principal, params, req }) => {
        const [id, fn] = params as [string, string];
        connectionFor(principal, id, true);
        const body = await readObject(req, bodyLimit, depthLimit);
        const channels = body.channels;
        if (
          !Array.isArray(channels) ||
          channels.length === 0 ||
          !channels.every((c) => typeof c === 'string' && c)
        ) {
          throw new ApiError(400, 'channels must be a non-empty list of channel names');
        }
        const call = { fn: fn as 'subscribe' | 'unsubscribe', channels: channels as string[] };
        return done(hub.call(id, call, scope(principal)), id);
      },
    ),

    apiRoute(ctx, 'POST', new RegExp(`${CONN}/disconnect$`), async ({ principal, params, req }) => {
      const id = params[0]!;
      connectionFor(principal, id, true);
      const body = await readObject(req, bodyLimit, depthLimit);
      const code = body.code ?? 1000;
      // Only codes a server may put in a close frame: 1000 or the application range.
      if (typeof code !== 'number' || !(code === 1000 || (code >= 3000 && code <= 4999) || code === 1008)) {
        throw new ApiError(400, 'code must be 1000, 1008 or 3000-4999');
      }
      const reason = typeof body.reason === 'string' ? closeReason(body.reason) : 'disconnected by admin';
      return done(hub.disconnect(id, code, reason, scope(principal)), id);
    }),
  ];
}

/** A close reason fits in 123 bytes of UTF-8 (RFC 6455 §5.5). */
function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

/**
 * A routed hub operation as an answer: 404 for an unknown client, 400 for bad arguments, 503 when
 * the engine could not carry the message, 502 for any other refusal of the holding node.
 */
async function done(op: Promise<{ ok: true }>, id: string): Promise<{ ok: true }> {
  try {
    return await op;
  } catch (err) {
    if (!(err instanceof HubError)) throw err;
    const status = hubErrorStatus(err) ?? 502;
    throw new ApiError(status, err.code === HubErrorCode.unknownClient ? noSuchConnection(id) : err.message);
  }
}

/** The one wording for a client id no node holds (ctl prints it as it is). */
function noSuchConnection(id: string): string {
  return `no such connection: ${id}`;
}
