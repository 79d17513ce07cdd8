// The config file's contract (docs/configuration.md) as one zod schema. Keys stay snake_case, exactly as they
// are written in YAML, so an error path, a docs entry and a `--set` flag all name a key the same way.
// Every object is strict: a misspelt key is a start-up error, not a silently ignored setting.
// The server's own sections are here; each dialect brings its own (src/dialects/<name>/config.ts,
// through its module), and they are composed below in the order of the registry.
import { z } from 'zod';
import { MAX_CHANNELS_PER_CONNECTION } from '../core/channel-name.js';
import { MAX_JSON_DEPTH, MAX_JSON_DEPTH_CEILING } from '../core/json-depth.js';
import type { DialectModule } from '../dialects/module.js';
import { DIALECT_MODULES } from '../dialects/registry.js';
import { routeConflicts } from '../dialects/route-claims.js';
import {
  bool,
  int,
  NAMESPACE_NAME,
  nonEmpty,
  originList,
  positiveInt,
  section,
  str,
} from './config-fields.js';
import { MODULES } from './dialects.js';

export { cidrProblem, NAMESPACE_NAME } from './config-fields.js';

/** The most worker processes `workers` accepts (far more than any host has cores). */
export const MAX_WORKERS = 256;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Registered = (typeof DIALECT_MODULES)[number];
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;
type KeysOf<M> = M extends DialectModule<string, z.ZodType | undefined, infer K> ? K : never;
type SectionOf<M> =
  M extends DialectModule<infer N, infer S, z.core.$ZodLooseShape>
    ? S extends z.ZodType
      ? { [key in N]: S }
      : never
    : never;
type DialectSwitch = z.ZodDefault<z.ZodBoolean>;

/** Namespace keys that are no single dialect's: history, queues, the origins every socket checks. */
const commonNamespaceKeys = {
  history_size: positiveInt().default(100).describe('Publications kept per channel (resume with `after`)'),
  max_channels: positiveInt()
    .default(10000)
    .describe(
      'Channels with history the namespace holds when a client (rocket `broadcast`, Pusher client event) makes one more: the least recently active are evicted with their history',
    ),
  max_new_channels_per_minute: positiveInt()
    .default(300)
    .describe(
      'Channels new to this node one connection may give history per minute (rocket `broadcast`, Pusher client events); past it rocket `RATE_LIMITED`, Pusher error 4301. Raise it for a backend that broadcasts to many channels',
    ),
  topic_size: positiveInt().default(2000).describe('Queued items per topic; past that the oldest is dropped'),
  topic_bytes: positiveInt()
    .default(8388608)
    .describe(
      'Bytes (stored JSON) of the items a topic holds while nobody consumes it; past that the oldest are dropped',
    ),
  max_topics: positiveInt().default(100).describe('Queue topics per namespace'),
  allowed_origins: originList()
    .optional()
    .describe(
      'Browser origins allowed to open site and rocket WebSockets and gateway connections; unset: any',
    ),
};

// The typed merges of the registered dialects' parts. zod infers the config's type from these
// shapes, so a dialect's keys are typed wherever `Config` is read.
const namespaceKeys = Object.assign(
  {},
  commonNamespaceKeys,
  ...DIALECT_MODULES.map((m) => m.configSchema.namespaceKeys),
) as typeof commonNamespaceKeys & UnionToIntersection<KeysOf<Registered>>;

const dialectSections = Object.fromEntries(
  DIALECT_MODULES.flatMap((m) => (m.configSchema.section ? [[m.name, m.configSchema.section]] : [])),
) as UnionToIntersection<SectionOf<Registered>>;

const dialectSwitches = Object.fromEntries(
  DIALECT_MODULES.map((m) => [
    m.name,
    bool()
      .default(true)
      .describe(m.configSchema.toggle ?? m.name),
  ]),
) as { [name in Registered['name']]: DialectSwitch };

const namespaceSchema = section(namespaceKeys);

const engineSchema = z.preprocess(
  (v) => v ?? { type: 'memory' },
  z.discriminatedUnion(
    'type',
    [
      z.strictObject({ type: z.literal('memory') }),
      z
        .strictObject({
          type: z.literal('redis'),
          url: str()
            .regex(/^rediss?:\/\//, { error: 'expected a redis:// or rediss:// URL' })
            .default('redis://127.0.0.1:6379')
            .describe(
              'Redis URL, `redis://` or `rediss://`; with `sentinels` only its credentials, database and TLS count',
            ),
          sentinels: z
            .array(str().regex(/^[^\s:]+:\d{1,5}$/, { error: 'expected host:port' }), {
              error: 'expected a list of host:port',
            })
            .min(1, { error: 'expected at least one Sentinel' })
            .optional()
            .describe(
              'Sentinels (`host:port`) to ask for the master; nodes follow it through a failover (docs/cluster.md "Sentinel")',
            ),
          name: nonEmpty().optional().describe('With `sentinels`: the master name Sentinel monitors'),
          cluster: z
            .array(str().regex(/^[^\s:]+:\d{1,5}$/, { error: 'expected host:port' }), {
              error: 'expected a list of host:port',
            })
            .min(1, { error: 'expected at least one Redis Cluster node' })
            .optional()
            .describe(
              'Redis Cluster nodes (`host:port`, any of them) instead of `url`\'s host: hash-tagged keys, sharded pub/sub (docs/cluster.md "Redis Cluster")',
            ),
          prefix: nonEmpty()
            .default('sb')
            .describe('Prefix of every Redis key, so that several deployments can share one Redis'),
          // Lease a free node id from Redis at start (unique, expiring, renewed) instead of node_id.
          lease_node_id: bool()
            .optional()
            .describe(
              'Lease a free node id from Redis at start (unique, expiring, renewed) instead of node_id',
            ),
          command_timeout_ms: int(50, 60_000, 'an integer from 50 to 60000')
            .default(1500)
            .describe(
              'Every Redis command fails after this long without an answer (clear error to the caller, counted); a publish started by Redis after that never runs',
            ),
          ping_interval_ms: int(100, 60_000, 'an integer from 100 to 60000')
            .default(1000)
            .describe(
              'How often each node probes Redis (one `TIME`, as cheap as `PING`) to see how fast it answers',
            ),
          ping_threshold_ms: int(10, 60_000, 'an integer from 10 to 60000')
            .default(1000)
            .describe('/readyz answers 503 while a probe takes longer than this (Redis hung or overloaded)'),
          node_lease_ms: int(3000, 600_000, 'an integer from 3000 to 600000')
            .default(15_000)
            .describe(
              'A node that stops renewing its lease (renewed every third of it) counts as dead this long after its last renewal: its Pusher presence members leave, its gateway clients get their close items, its queue consumers expire. Shorter: faster departures, but a node stalled that long is taken for dead',
            ),
          presence_sweep_ms: int(100, 600_000, 'an integer from 100 to 600000')
            .optional()
            .describe(
              "How often each node removes dead nodes' presence members (Pusher `member_removed`); a departure comes at most `node_lease_ms` plus this after the node died. Unset: a third of `node_lease_ms`",
            ),
          publish_batch_max: int(1, 1000, 'an integer from 1 to 1000')
            .default(64)
            .describe(
              'Publications waiting while a publish is in flight go to Redis together, at most this many in one script call; 1: one call per publication',
            ),
        })
        .refine((e) => (e.sentinels === undefined) === (e.name === undefined), {
          error: '`sentinels` and `name` go together: the Sentinels and the master name they monitor',
        })
        .refine((e) => e.cluster === undefined || e.sentinels === undefined, {
          error: '`cluster` and `sentinels` exclude each other: Redis Cluster fails over by itself',
        })
        .refine((e) => e.cluster === undefined || !/[{}]/.test(e.prefix), {
          error: 'with `cluster` the prefix must not contain `{` or `}` (the keys carry hash tags)',
        }),
    ],
    { error: 'expected type "memory" or "redis"' },
  ),
);

export const configSchema = z
  .strictObject({
    listen: section({
      host: nonEmpty().default('0.0.0.0').describe('Interface to bind'),
      // 0 asks the OS for a free port (tests); the server reports the one it got.
      port: int(0, 65535, 'a port number 0-65535')
        .default(6789)
        .describe('TCP port; 0 picks a free one (the real one is logged)'),
      advertise_address: str()
        .regex(
          /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/,
          {
            error: 'expected host:port as backends reach this node, e.g. "10.0.0.5:6789" or "[fd00::5]:6789"',
          },
        )
        .optional()
        .describe(
          'host:port that mesh backends use to reach this node (listed by `GET /v1/nodes`). Unset: the listen address when it is not a wildcard, else the Host of the request',
        ),
    }).describe('The HTTP and WebSocket listener'),
    tls: z
      .strictObject(
        {
          cert: nonEmpty().describe('Path of the PEM certificate chain (leaf first)'),
          key: nonEmpty().describe('Path of the PEM private key'),
        },
        { error: 'expected a mapping with cert and key (file paths)' },
      )
      .optional()
      .describe(
        'Serve HTTPS and WSS directly; SIGHUP re-reads both files (renewal without a restart). Unset: plain HTTP (terminate TLS in a reverse proxy)',
      ),
    engine: engineSchema.describe(
      'Where channels, history and queues live: `memory` (one process) or `redis` (a cluster)',
    ),
    // In a cluster the node id is baked into every client_id, so it must be unique per node.
    node_id: int(0, 1023, 'an integer 0-1023')
      .default(1)
      .describe('Stored in every client_id: each node of a cluster needs its own'),
    // Several processes on one port share channels only through Redis: see checkWorkers.
    workers: z
      .union([int(1, MAX_WORKERS, `a number of processes 1-${MAX_WORKERS}`), z.literal('auto')], {
        error: `expected a number of processes 1-${MAX_WORKERS} or "auto"`,
      })
      .default(1)
      .describe(
        'Node processes sharing the listening port (`auto`: one per CPU core), each a cluster node with a leased node id; more than 1 needs engine `redis`',
      ),
    admin: section({
      key: nonEmpty()
        .optional()
        .describe(
          'Bearer key for `/admin`, `/stats`, `/metrics`. Unset: the server only starts on a loopback listener (or with `insecure: true`)',
        ),
      insecure: bool()
        .default(false)
        .describe(
          'true: start without `key` on a non-loopback listener, leaving the admin endpoints open (a warning is logged at every start)',
        ),
      allowed_origins: originList()
        .optional()
        .describe(
          'Browser origins, besides the server itself, allowed to send mutating admin API requests (CSRF guard)',
        ),
    }).describe('Access to the operator endpoints'),
    dialects: section(dialectSwitches).describe(
      'Which client dialects are served; the operator endpoints always are',
    ),
    ...dialectSections,
    limits: section({
      max_frame_bytes: positiveInt()
        .default(65536)
        .describe('Larger inbound frames close the connection with 1009'),
      max_http_body_bytes: positiveInt().default(1048576).describe('Larger request bodies are refused (413)'),
      max_outbound_bytes: positiveInt()
        .default(1048576)
        .describe('A client this far behind is closed with 1013 "slow consumer"'),
      write_coalesce_ms: int(0, 50, 'an integer from 0 to 50')
        .default(5)
        .describe(
          'When publications reach a client faster than this, they are held up to this long and written together (one syscall); 0: never held',
        ),
      heartbeat_ms: positiveInt().default(25000).describe('Ping interval; dead connections are dropped'),
      shutdown_timeout_ms: positiveInt().default(10000).describe('Grace period after SIGTERM/SIGINT'),
      max_connections: positiveInt()
        .optional()
        .describe(
          'Open WebSocket connections in total; past it upgrades get HTTP 503. Unset: 100000, or the open-file limit minus `fd_reserve` when that is lower (logged at start)',
        ),
      max_connections_per_ip: positiveInt()
        .optional()
        .describe(
          'TCP connections (HTTP and WebSocket) per client IP, counted at accept; past it 503. Unset: 1000, or a quarter of the sockets the file limit allows when that is lower. Behind a reverse proxy, raise it',
        ),
      fd_reserve: positiveInt()
        .default(128)
        .describe(
          'File descriptors client sockets leave free: sockets of every kind stop at the open-file limit minus half of it (Redis, files, logs keep the rest)',
        ),
      headers_timeout_ms: positiveInt()
        .default(5000)
        .describe('Time a new connection or request has to send its HTTP headers; then 408 and closed'),
      request_timeout_ms: positiveInt()
        .default(30000)
        .describe('Time a request has to arrive whole, body included; then 408 and closed'),
      keep_alive_timeout_ms: positiveInt()
        .default(5000)
        .describe('An idle kept-alive HTTP connection is closed after this long'),
      min_body_bytes_per_second: int(0, Number.MAX_SAFE_INTEGER, 'a non-negative integer')
        .default(1024)
        .describe(
          'A request body slower than this on average (after `headers_timeout_ms`) is cut with 408; 0: off',
        ),
      max_messages_per_second: positiveInt()
        .default(100)
        .describe('Inbound frames per second per connection; well above it closes with 1008'),
      max_messages_burst: positiveInt()
        .default(200)
        .describe('Inbound frames one connection may send back to back before the rate applies'),
      max_json_depth: int(1, MAX_JSON_DEPTH_CEILING, `an integer from 1 to ${MAX_JSON_DEPTH_CEILING}`)
        .default(MAX_JSON_DEPTH)
        .describe('Deeper JSON (arrays and objects) is refused where it enters'),
      max_channels_per_connection: positiveInt()
        .default(MAX_CHANNELS_PER_CONNECTION)
        .describe('Channels one connection may subscribe to at once (site, rocket, mesh conn.call)'),
    }).describe('Protection against oversized, too many and too fast clients'),
    log: section({
      level: z
        .enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` })
        .default('info')
        .describe('pino JSON lines on stdout'),
      summary_interval_ms: positiveInt()
        .default(10000)
        .describe(
          'Authentication failures and fired limits are summed over this long: one line per kind and interval, with a count',
        ),
    }).describe('Logging (pino JSON lines on stdout)'),
    namespaces: z
      .preprocess(
        (v) => v ?? {},
        z.record(
          str().regex(NAMESPACE_NAME, { error: 'namespace names are 1-64 characters of A-Z a-z 0-9 _ . -' }),
          namespaceSchema,
          { error: 'expected a mapping of namespace name to namespace' },
        ),
      )
      .default({})
      .describe('Namespace name → settings: a site, a rocket vhost and a mesh tenant at once'),
  })
  // `when` makes zod run this even when other keys failed, so that one run reports every problem;
  // the value may then be partly invalid, hence the defensive reads.
  .superRefine(
    (cfg, ctx) => {
      checkRoutes(cfg, ctx);
      for (const m of DIALECT_MODULES) m.configSchema.check?.(cfg, ctx);
      checkWorkers(cfg, ctx);
    },
    { when: () => true },
  );

/**
 * The memory engine keeps channels, history and queues inside one process: workers on it could
 * not see each other's publications, so more than one is refused rather than silently split.
 */
function checkWorkers(cfg: unknown, ctx: z.RefinementCtx): void {
  const record = cfg as { workers?: unknown; engine?: { type?: unknown } } | undefined;
  const workers = record?.workers;
  if (workers === undefined || workers === 1 || record?.engine?.type !== 'memory') return;
  ctx.addIssue({
    code: 'custom',
    path: ['workers'],
    message: `${String(workers)} workers need engine.type "redis": the memory engine lives inside one process, so workers could not share channels, history or queues (use workers: 1, or engine redis)`,
  });
}

/**
 * The paths the modules claim under this config (src/dialects/module.ts): a path two of them
 * want (a rocket vhost on a reserved path, two vhosts on one path) is refused on the key that
 * placed it, naming what has it already.
 */
function checkRoutes(cfg: unknown, ctx: z.RefinementCtx): void {
  for (const { claim, message } of routeConflicts(MODULES.flatMap((m) => m.routes(cfg)))) {
    if (claim.key) ctx.addIssue({ code: 'custom', path: [...claim.key], message });
  }
}

/** The parsed, defaulted configuration the rest of the server reads. */
export type Config = z.output<typeof configSchema>;
export type NamespaceConfig = Config['namespaces'][string];
export type { PusherConfig } from '../dialects/pusher/config.js';
export type { RocketConfig } from '../dialects/rocket/config.js';
