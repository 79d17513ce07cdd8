/**
 * Cluster-wide views for /stats and the admin API (docs/cluster.md). Each node answers an `inspect`
 * control message with figures about itself only; `gatherCluster` asks every live node in
 * parallel (this one locally, others through `engine.control.request`, which is bounded in time) and
 * keeps the answers apart per node, plus the nodes that did not answer. Nothing here is cached:
 * every view is a fresh round of questions.
 *
 * Shapes use the snake_case keys of /stats and the admin API, so a node's answer can be put in a
 * response as it is. `namespaces` and `channels` answer the raw counts behind the admin API's
 * namespace and channel lists; `sumNamespaces` and `sumChannels` add them up over the nodes.
 */
import type { ControlMessage, ControlReply, Engine } from '../engines/engine.js';
import type { Connection } from './connection.js';
import { HubErrorCode } from './errors.js';
import type { HubCounters } from './hub.js';
import { residentMemory } from './rss.js';
import type { JsonValue } from './types.js';

export const InspectWhat = {
  stats: 'stats',
  connections: 'connections',
  namespaces: 'namespaces',
  channels: 'channels',
  address: 'address',
} as const;
export type InspectWhat = (typeof InspectWhat)[keyof typeof InspectWhat];

export const isInspectWhat = (v: unknown): v is InspectWhat =>
  typeof v === 'string' && Object.hasOwn(InspectWhat, v);

/** One node's figures (`inspect` `stats`). With a namespace, connection figures cover only it. */
export type NodeStats = {
  node: number;
  engine: string;
  ready: boolean;
  /** Seconds since this node's hub was built. */
  uptime: number;
  /** Resident set size of the node's process, bytes. */
  memory: number;
  connections: { total: number; by_dialect: Record<string, number>; by_namespace: Record<string, number> };
  subscriptions: number;
  /** accepted: publications made through the node; published: fanned out by it; delivered/failed: writes. */
  messages: { accepted: number; published: number; delivered: number; failed: number };
};

/** One connection as the admin API lists it, with the node that holds it. */
export type ConnectionView = {
  node: number;
  id: string;
  dialect: string;
  namespace: string;
  user: string | null;
  context: Record<string, JsonValue>;
  subscriptions: string[];
  watching_all: boolean;
  connected_at: string;
  remote_address: string | null;
};

/**
 * One node's connection figures per namespace (`inspect` `namespaces`): only namespaces where it
 * holds a connection; with a namespace, that one alone.
 */
export type NamespaceFigures = Record<string, { connections: number; subscriptions: number }>;

/**
 * One node's subscribers in a namespace (`inspect` `channels`, which needs the namespace):
 * subscribed connections per channel, and apart the connections watching the whole namespace
 * (chat), which count as subscribers of every channel of it.
 */
export type ChannelFigures = { watchers: number; channels: Record<string, number> };

/**
 * Where backends reach a node (`inspect` `address`): `host:port`, or null when the node listens on
 * a wildcard address and was given no `listen.advertise_address` (only a request to it can tell).
 */
export type NodeAddress = { api_server: string | null };

/** What the hub exposes to build a node's answer (kept narrow so this file needs no Hub). */
export interface InspectSource {
  readonly nodeId: number;
  readonly advertisedAddress?: string | null;
  readonly engine: Pick<Engine, 'kind' | 'ready' | 'registry' | 'control'>;
  readonly counters: HubCounters;
  readonly startedAt: number;
  localConnections(): IterableIterator<Connection>;
}

export function connectionView(c: Connection, node: number): ConnectionView {
  return {
    node,
    id: c.id,
    dialect: c.dialect,
    namespace: c.namespace,
    user: c.user ?? null,
    context: c.context,
    subscriptions: c.subscribedChannels(),
    watching_all: c.watchingAll,
    connected_at: new Date(c.connectedAt).toISOString(),
    remote_address: c.remoteAddress ?? null,
  };
}

export function localStats(src: InspectSource, namespace?: string): NodeStats {
  const byDialect: Record<string, number> = {};
  const byNamespace: Record<string, number> = {};
  let total = 0;
  let subscriptions = 0;
  for (const c of src.localConnections()) {
    if (namespace !== undefined && c.namespace !== namespace) continue;
    total++;
    byDialect[c.dialect] = (byDialect[c.dialect] ?? 0) + 1;
    byNamespace[c.namespace] = (byNamespace[c.namespace] ?? 0) + 1;
    subscriptions += c.subscriptionCount;
  }
  return {
    node: src.nodeId,
    engine: src.engine.kind,
    ready: src.engine.ready(),
    uptime: Math.floor((Date.now() - src.startedAt) / 1000),
    memory: residentMemory(),
    connections: { total, by_dialect: byDialect, by_namespace: byNamespace },
    subscriptions,
    messages: {
      accepted: src.counters.published,
      published: src.counters.publications,
      delivered: src.counters.deliveries,
      failed: src.counters.failedDeliveries,
    },
  };
}

export function localConnectionViews(src: InspectSource, namespace?: string): ConnectionView[] {
  const out: ConnectionView[] = [];
  for (const c of src.localConnections()) {
    if (namespace === undefined || c.namespace === namespace) out.push(connectionView(c, src.nodeId));
  }
  return out;
}

export function localNamespaceFigures(src: InspectSource, namespace?: string): NamespaceFigures {
  // A Map, not an object literal, while counting: a namespace is a name from the config, but
  // nothing here should depend on it never being `__proto__`.
  const figures = new Map<string, { connections: number; subscriptions: number }>();
  for (const c of src.localConnections()) {
    if (namespace !== undefined && c.namespace !== namespace) continue;
    let f = figures.get(c.namespace);
    if (!f) {
      f = { connections: 0, subscriptions: 0 };
      figures.set(c.namespace, f);
    }
    f.connections++;
    f.subscriptions += c.subscriptionCount;
  }
  return Object.fromEntries(figures);
}

export function localChannelFigures(src: InspectSource, namespace: string): ChannelFigures {
  // Channel names are the clients' own: counted in a Map so that `__proto__` is a channel too.
  const channels = new Map<string, number>();
  let watchers = 0;
  for (const c of src.localConnections()) {
    if (c.namespace !== namespace) continue;
    if (c.watchingAll) watchers++;
    for (const ch of c.subscribedChannels()) channels.set(ch, (channels.get(ch) ?? 0) + 1);
  }
  return { watchers, channels: Object.fromEntries(channels) };
}

/** This node's answer to an `inspect` control message (`channels` needs a namespace). */
export function inspectLocal(src: InspectSource, what: InspectWhat, namespace?: string): JsonValue {
  switch (what) {
    case 'stats':
      return localStats(src, namespace);
    case 'connections':
      return localConnectionViews(src, namespace);
    case 'namespaces':
      return localNamespaceFigures(src, namespace);
    case 'channels':
      if (namespace === undefined) throw new Error('inspecting channels needs a namespace');
      return localChannelFigures(src, namespace);
    case 'address':
      return { api_server: src.advertisedAddress ?? null };
  }
}

/**
 * The control reply to `inspect`; `what` comes off the wire, so it is checked. A node of an
 * older release answers a `what` it does not know with this error: the asking node then lists it
 * in `missing` rather than counting it as empty.
 */
export function answerInspect(src: InspectSource, what: unknown, namespace?: string): ControlReply {
  if (!isInspectWhat(what))
    return { ok: false, error: `cannot inspect "${String(what)}"`, code: HubErrorCode.invalidCall };
  if (what === 'channels' && typeof namespace !== 'string')
    return { ok: false, error: 'inspecting channels needs a namespace', code: HubErrorCode.invalidCall };
  return { ok: true, result: inspectLocal(src, what, namespace) };
}

export type InspectResult<W extends InspectWhat> = W extends 'stats'
  ? NodeStats
  : W extends 'connections'
    ? ConnectionView[]
    : W extends 'namespaces'
      ? NamespaceFigures
      : W extends 'address'
        ? NodeAddress
        : ChannelFigures;

export interface ClusterInspection<T> {
  /** One answer per node that answered, ordered by node id (this node is always there). */
  answers: { node: number; result: T }[];
  /** Live nodes (per the engine's registry) that did not answer in time, with why. */
  missing: { node: number; error: string }[];
  /** Set when the engine could not list the nodes: only this node was asked. */
  error?: string;
}

/**
 * Ask every node for `what`. Never throws and never waits longer than the engine's control
 * timeout (plus the time to list the nodes): a silent or vanished node ends up in `missing`.
 */
export async function gatherCluster<W extends InspectWhat>(
  src: InspectSource,
  what: W,
  namespace?: string,
): Promise<ClusterInspection<InspectResult<W>>> {
  type T = InspectResult<W>;
  let nodes: number[];
  let error: string | undefined;
  try {
    nodes = await src.engine.registry.nodes();
  } catch (err) {
    nodes = [];
    error = err instanceof Error ? err.message : String(err);
  }
  const others = [...new Set(nodes)].filter((n) => n !== src.nodeId);
  const message: ControlMessage = { type: 'inspect', what, ...(namespace !== undefined && { namespace }) };
  const replies = await Promise.all(
    others.map((node) =>
      src.engine.control.request(node, message).then(
        (reply) => ({ node, reply }),
        (err: unknown) => ({ node, reply: { ok: false as const, error: String(err) } }),
      ),
    ),
  );
  const answers: { node: number; result: T }[] = [
    { node: src.nodeId, result: inspectLocal(src, what, namespace) as T },
  ];
  const missing: { node: number; error: string }[] = [];
  for (const { node, reply } of replies) {
    if (reply.ok && reply.result !== undefined) answers.push({ node, result: reply.result as T });
    else missing.push({ node, error: reply.ok ? 'empty answer' : reply.error });
  }
  answers.sort((a, b) => a.node - b.node);
  return error === undefined ? { answers, missing } : { answers, missing, error };
}

/** Cluster totals of the nodes that answered (memory summed over processes, no uptime). */
export function sumStats(stats: NodeStats[]): Omit<NodeStats, 'node' | 'engine' | 'ready' | 'uptime'> & {
  nodes: number;
} {
  const sum = {
    nodes: stats.length,
    memory: 0,
    connections: {
      total: 0,
      by_dialect: {} as Record<string, number>,
      by_namespace: {} as Record<string, number>,
    },
    subscriptions: 0,
    messages: { accepted: 0, published: 0, delivered: 0, failed: 0 },
  };
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  for (const s of stats) {
    sum.memory += s.memory;
    sum.connections.total += s.connections.total;
    add(sum.connections.by_dialect, s.connections.by_dialect);
    add(sum.connections.by_namespace, s.connections.by_namespace);
    sum.subscriptions += s.subscriptions;
    sum.messages.accepted += s.messages.accepted;
    sum.messages.published += s.messages.published;
    sum.messages.delivered += s.messages.delivered;
    sum.messages.failed += s.messages.failed;
  }
  return sum;
}

/** `rec[key]` when it is the record's own entry: keys are names, `constructor` included. */
function own<V>(rec: Record<string, V>, key: string): V | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

/** One namespace's figures over the nodes that answered, with each node's share. */
export type NamespaceTotals = {
  connections: number;
  subscriptions: number;
  nodes: { node: number; connections: number; subscriptions: number }[];
};

/** Per-namespace totals of `namespaces` answers, for each of `names` (0 where no node has any). */
export function sumNamespaces(
  answers: { node: number; result: NamespaceFigures }[],
  names: string[],
): Map<string, NamespaceTotals> {
  const out = new Map<string, NamespaceTotals>();
  for (const name of names) {
    const totals: NamespaceTotals = { connections: 0, subscriptions: 0, nodes: [] };
    for (const { node, result } of answers) {
      const f = own(result, name);
      const share = { node, connections: f?.connections ?? 0, subscriptions: f?.subscriptions ?? 0 };
      totals.connections += share.connections;
      totals.subscriptions += share.subscriptions;
      totals.nodes.push(share);
    }
    out.set(name, totals);
  }
  return out;
}

/** Subscribers per channel over the nodes that answered, watchers of the whole namespace apart. */
export function sumChannels(answers: ChannelFigures[]): { watchers: number; channels: Map<string, number> } {
  const channels = new Map<string, number>();
  let watchers = 0;
  for (const a of answers) {
    watchers += a.watchers;
    for (const [name, n] of Object.entries(a.channels)) channels.set(name, (channels.get(name) ?? 0) + n);
  }
  return { watchers, channels };
}
