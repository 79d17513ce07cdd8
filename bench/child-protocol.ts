// What the bench parent and its server child (server-child.ts) say to each other over IPC.

export const BENCH_SITE = { name: 'bench', secret: 'bench-secret', postSecret: 'bench-post-secret' } as const;
export const BENCH_CHANNEL = 'bench';
/** The bench namespace's rocket vhost and its reading user (no secret: the bench is local). */
export const BENCH_ROCKET = { path: '/bench-rocket', user: 'reader' } as const;
/** The bench namespace as a Pusher app: its clients subscribe to the public channel `bench`. */
export const BENCH_PUSHER = {
  app_id: 'bench',
  key: 'bench-pusher-key',
  secret: 'bench-pusher-secret',
} as const;

export type ChildKind = 'ws' | 'socketio' | 'switchboard';

/** Options of the `switchboard` child (argv[3], JSON): a cluster node on a shared Redis. */
export interface SwitchboardChildOptions {
  nodeId?: number;
  redisUrl?: string;
  /** Bench-only prototype patches (switchboard-fast-path.ts). */
  fastPath?: 'batched';
  /** `limits.heartbeat_ms`; with it each heartbeat sweep is timed (the `beats` op). */
  heartbeatMs?: number;
  /** The bench site's `token_ttl` (s): a slow grow of thousands of clients outlasts the default. */
  tokenTtl?: number;
}

/** Heartbeat sweeps since the last `beats` request (curve.ts). */
export interface BeatFigures {
  /** Per sweep: how late its timer fired (ms) and how long pinging every socket took (ms). */
  beats: { lateMs: number; sweepMs: number }[];
  /** CPU time of every sweep so far, µs (so that burst figures can leave it out). */
  cpuMicros: number;
}

/** Variants of the `ws` child (argv[3]); see ws-fast-path.ts. */
export type WsVariant = 'plain' | 'cork' | 'preframed';

/** Where a Switchboard child publishes: the site namespace, or the chat namespace for chat. */
export interface PublishTarget {
  namespace: string;
  channel: string;
  sender?: string;
}

export type ChildRequest =
  | { op: 'stats'; gc: boolean }
  | { op: 'ready'; count: number; target: PublishTarget; timeoutMs: number }
  | { op: 'subscribeGateways'; target: PublishTarget }
  | { op: 'burst'; count: number; bytes: number; target: PublishTarget }
  | { op: 'paced'; count: number; ratePerSec: number; bytes: number; target: PublishTarget }
  | { op: 'beats' }
  | { op: 'profileStart' }
  | { op: 'profileStop'; file: string }
  | { op: 'close' };

export interface ChildStats {
  /** User + system CPU time of this process since it started, µs. */
  cpuMicros: number;
  rss: number;
  /** V8 heap in use (Node servers only): how much of the RSS is JavaScript objects. */
  heapUsed?: number;
  /** V8 heap committed (Node servers only): what of the RSS the heap holds, used or not. */
  heapTotal?: number;
  /** Of it, the young generation (semi-spaces) committed: it grows with allocation, not objects kept. */
  newSpace?: number;
}
