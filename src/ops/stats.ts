// The server's figures, one computation for both places that show them: `GET /stats` (the short
// address from the original site server, docs/protocol/site.md) and `GET /admin/api/stats`
// (docs/operations.md). Both answer this node's figures at the top level, and unless `?local=1`
// the whole cluster: `cluster` (totals over the nodes that answered), `nodes` (each node's own
// figures, asked through the hub's `inspect` control message) and `missing` (live nodes that did
// not answer within the engine's control timeout).
import type { ServerResponse } from 'node:http';
import { sumStats } from '../core/inspect.js';
import type { DialectContext } from '../dialects/context.js';
import type { HttpRoute } from '../transport/routes.js';
import { ADMIN_ONLY } from './admin-auth.js';
import { ApiError, apiRoute } from './admin-http.js';
import { namespaceNames } from './metrics.js';

export interface StatsOptions {
  /** This node alone: no question to the other nodes. */
  local: boolean;
  /**
   * Count the channels the engine knows over every namespace: `fresh` for `/stats` (it always
   * had it), `cached` for `/admin/api/stats`, which the dashboard polls every 2 s.
   */
  channels: 'fresh' | 'cached';
}

/** How long one channel count serves `/admin/api/stats`: listing every channel is an engine scan. */
export const CHANNEL_COUNT_TTL_MS = 5000;

/** One count per server, shared by the requests that arrive while it is computed or fresh. */
const channelCounts = new WeakMap<DialectContext, { at: number; value: Promise<number | null> }>();

function cachedChannelCount(ctx: DialectContext): Promise<number | null> {
  const now = Date.now();
  const entry = channelCounts.get(ctx);
  if (entry && now - entry.at < CHANNEL_COUNT_TTL_MS) return entry.value;
  const value = countChannels(ctx);
  channelCounts.set(ctx, { at: now, value });
  return value;
}

export async function statsAnswer(
  ctx: DialectContext,
  res: ServerResponse,
  options: StatsOptions,
): Promise<Record<string, unknown>> {
  const { hub } = ctx;
  const own = hub.inspectLocal('stats');
  const [channels, view] = await Promise.all([
    options.channels === 'fresh' ? countChannels(ctx) : cachedChannelCount(ctx),
    options.local ? undefined : hub.inspectCluster('stats'),
  ]);
  const self = {
    node_id: hub.nodeId,
    engine: own.engine,
    ready: ctx.ready(),
    uptime: Math.floor((Date.now() - ctx.startedAt) / 1000),
    memory: own.memory,
    connections: own.connections,
    subscriptions: own.subscriptions,
    channels,
    messages: own.messages,
  };
  if (!view) return self;
  const nodes = view.answers.map((a) => a.result);
  reportMissing(res, view.missing);
  return {
    ...self,
    cluster: sumStats(nodes),
    nodes,
    missing: view.missing,
    ...(view.error !== undefined && { cluster_error: view.error }),
  };
}

/** Channels known to the engine over every namespace; null when the engine cannot say right now. */
async function countChannels(ctx: DialectContext): Promise<number | null> {
  try {
    const counts = await Promise.all(
      namespaceNames(ctx).map((ns) => ctx.hub.channels(ns).then((c) => c.length)),
    );
    return counts.reduce((a, b) => a + b, 0);
  } catch {
    return null;
  }
}

/** `?local=1` (or `true`): this node's figures only, no question to the other nodes. */
export function localOnly(url: URL): boolean {
  const v = url.searchParams.get('local');
  return v === '1' || v === 'true';
}

/** Nodes that did not answer a cluster-wide view, for clients that read only the body's array. */
export function reportMissing(res: ServerResponse, missing: { node: number }[]): void {
  if (missing.length > 0) res.setHeader('x-switchboard-missing-nodes', missing.map((m) => m.node).join(','));
}

/** Server-wide figures are the operator's: a manager (namespace-scoped) key gets 403. */
export function statsRoutes(ctx: DialectContext): HttpRoute[] {
  const route = (path: string, channels: StatsOptions['channels']) =>
    apiRoute(ctx, 'GET', path, ({ principal, url, res }) => {
      if (principal.kind !== 'admin') throw new ApiError(403, ADMIN_ONLY);
      return statsAnswer(ctx, res, { local: localOnly(url), channels });
    });
  return [route('/stats', 'fresh'), route('/admin/api/stats', 'cached')];
}
