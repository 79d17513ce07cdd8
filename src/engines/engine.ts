/**
 * The engine: every piece of state that must be shared between the nodes of a cluster. The hub
 * (src/core) owns everything local to one node: connections, their subscriptions and the fan-out
 * to sockets. An engine is a set of small pieces with one job each, every piece with its own
 * contract and conformance suite (test/conformance/*-suite.ts, run against every engine):
 *
 * | piece          | file             | job                                                  |
 * |----------------|------------------|------------------------------------------------------|
 * | `log`          | channel-log.ts   | ordered publish, bounded history, watches            |
 * | `control`      | engine.ts        | a request to one node, answered (routing by client id) |
 * | `registry`     | node-registry.ts | the cluster's node ids                               |
 * | `queues`       | queue-store.ts   | work queues, one consumer per item                   |
 * | `once`         | once-store.ts    | claim a key once across the cluster                  |
 * | `presence`     | presence.ts      | optional: who is in a channel                        |
 *
 * A cluster engine builds `log` and `control` from the shared cluster layer (src/engines/cluster/)
 * on top of its own transport (cluster/channel-transport.ts, cluster/node-bus.ts), so it writes
 * only what is specific to its backend. No method may throw for a missing channel or topic (they
 * are created on first use); none may be called before `start` resolves unless stated.
 */

import type { RemoteCall } from '../core/remote-call.js';
import type { DeliveryCount, JsonValue, Publication } from '../core/types.js';
import type { ChannelLog } from './channel-log.js';
import type { ClientLedger } from './client-ledger.js';
import type { NodeRegistry } from './node-registry.js';
import type { OnceStore } from './once-store.js';
import type { PresenceStore } from './presence.js';
import type { QueueStore } from './queue-store.js';

export type {
  ChannelLog,
  ChannelOptions,
  HistoryQuery,
  HistoryResult,
  PublishOptions,
  PublishResult,
} from './channel-log.js';
export type { NodeRegistry } from './node-registry.js';
export type { OnceStore } from './once-store.js';
export type { PresenceMember, PresenceStore } from './presence.js';
export type { QueueConsumer, QueueLimits, QueueStore, TopicStats } from './queue-store.js';

/**
 * A message addressed to one node (mesh.send / conn.call / kick routed by client id). With
 * `namespace` set, the target must be a connection of that namespace or the reply is
 * `unknown_client`: a tenant's API key never reaches another tenant's connections.
 * `inspect` asks the node about itself (src/core/inspect.ts): `stats` answers its figures,
 * `connections` its connection list, `namespaces` its connections and subscriptions per namespace,
 * `channels` its subscribers per channel of `namespace` (required there), `address` where
 * backends reach it; `namespace` restricts the others to that namespace.
 */
export type ControlMessage = (
  | { type: 'send'; client: string; data: string; binary: boolean }
  | { type: 'call'; client: string; call: RemoteCall }
  | { type: 'disconnect'; client: string; code: number; reason: string }
  | { type: 'inspect'; what: 'stats' | 'connections' | 'namespaces' | 'channels' | 'address' }
) & { namespace?: string };

export type ControlReply = { ok: true; result?: JsonValue } | { ok: false; error: string; code?: string };

/**
 * NodeControl: `request(node, msg)` reaches `onControl` on that node and resolves with its reply,
 * or with `{ok: false, error}` within a bounded time if the node is unknown or silent (an unknown
 * node answers code `unknown_client`). Conformance: test/conformance/node-control-suite.ts.
 */
export interface NodeControl {
  request(nodeId: number, message: ControlMessage): Promise<ControlReply>;
}

/** Callbacks from the engine into the node's hub. */
export interface EngineHandlers {
  /** A publication of a watched channel. Returns the local delivery counts. */
  onPublication(namespace: string, publication: Publication): DeliveryCount;
  /** A control message addressed to this node. */
  onControl(message: ControlMessage): Promise<ControlReply>;
}

export interface Engine {
  /** The 10-bit node id written into this node's client ids. Valid after `start`. */
  readonly nodeId: number;
  /** Human name for logs and /stats ("memory", "redis"). */
  readonly kind: string;

  start(handlers: EngineHandlers): Promise<void>;
  /** Stop delivering, release shared resources (leases, consumers), close connections. */
  close(): Promise<void>;
  /** False while shared state is unreachable (readiness probe). */
  ready(): boolean;

  readonly log: ChannelLog;
  readonly control: NodeControl;
  readonly registry: NodeRegistry;
  readonly queues: QueueStore;
  readonly once: OnceStore;
  readonly clients: ClientLedger;
  /** Present only on engines that keep presence (presence.ts). */
  readonly presence?: PresenceStore;
}
