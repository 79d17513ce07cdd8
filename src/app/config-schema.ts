// The config file's contract (docs/configuration.md) as one zod schema. Keys stay snake_case, exactly as they
// are written in YAML, so an error path, a docs entry and a `--set` flag all name a key the same way.
// Every object is strict: a misspelt key is a start-up error, not a silently ignored setting.
import { isIP } from 'node:net';
import { z } from 'zod';
import { MAX_CHANNELS_PER_CONNECTION } from '../core/channel-name.js';
import { MAX_JSON_DEPTH, MAX_JSON_DEPTH_CEILING } from '../core/json-depth.js';

/** The most worker processes `workers` accepts (far more than any host has cores). */
export const MAX_WORKERS = 256;

export const PERMISSIONS = ['READ', 'WRITE', 'MANAGE'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Namespace names end up in URLs (`?site=`), Redis keys and metrics labels: keep them plain. */
export const NAMESPACE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Rocket user names follow the same rule (the original protocol's INVALID_USER_NAME leaves the format open). */
export const USER_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

/** Paths the listener routes itself; `prefix: true` also reserves everything below the path. */
export const RESERVED_PATHS: readonly { path: string; prefix: boolean }[] = [
  { path: '/', prefix: false },
  { path: '/ws', prefix: false },
  { path: '/ws/v1', prefix: false },
  { path: '/token', prefix: false },
  { path: '/post', prefix: false },
  { path: '/stats', prefix: false },
  { path: '/version', prefix: false },
  { path: '/api', prefix: true },
  { path: '/v1', prefix: true },
  { path: '/admin', prefix: true },
  { path: '/metrics', prefix: false },
  { path: '/healthz', prefix: false },
  { path: '/readyz', prefix: false },
  { path: '/assets', prefix: true },
  { path: '/sdk', prefix: true },
];

/** The WebSocket paths of Pusher apps (`/app/KEY`), taken only when a namespace has `pusher`. */
export const PUSHER_PATH_PREFIX = '/app/';

/** Why `path` may not be used for a rocket vhost or the gateway client endpoint, or null if it may. */
export function reservedPathConflict(path: string, clientPath?: string): string | null {
  for (const r of RESERVED_PATHS) {
    if (path === r.path || (r.prefix && path.startsWith(`${r.path}/`))) {
      return r.prefix ? `${r.path} and the paths under it are reserved` : `${r.path} is reserved`;
    }
  }
  if (clientPath !== undefined && path === clientPath) return `${clientPath} is the mesh client_path`;
  return null;
}

// Small builders so that every message reads as "expected …" and names what would be accepted.
const int = (min: number, max: number, what: string) =>
  z
    .int({ error: `expected ${what}` })
    .min(min, { error: `expected ${what}` })
    .max(max, { error: `expected ${what}` });
const positiveInt = () => int(1, Number.MAX_SAFE_INTEGER, 'a positive integer');
const str = () => z.string({ error: 'expected a string' });
const nonEmpty = () => str().min(1, { error: 'must not be empty' });
const bool = () => z.boolean({ error: 'expected true or false' });
const urlPath = () =>
  str().regex(/^(\/[^/?#\s]+)+$/, {
    error: 'expected a path like "/name": starting with "/", no trailing "/", query, fragment or spaces',
  });

// A YAML section whose keys are all commented out parses as null; read it as "all defaults".
const section = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.preprocess((v) => v ?? {}, z.strictObject(shape, { error: 'expected a mapping' }));

const rocketUserSchema = z.strictObject(
  {
    // An empty secret is deliberate in the original: that user accepts any secret.
    secret: str().describe("The user's secret. An empty string accepts any secret"),
    permissions: z
      .array(z.enum(PERMISSIONS, { error: `expected one of ${PERMISSIONS.join(', ')}` }), {
        error: 'expected a list of permissions',
      })
      .describe('What the user may do: READ, WRITE and/or MANAGE'),
  },
  { error: 'expected a mapping with secret and permissions' },
);

const rocketSchema = z.strictObject(
  {
    path: urlPath().describe(
      'WebSocket path of the vhost, e.g. /demo. Unique, and not a reserved path or mesh.client_path',
    ),
    trigger_topic: nonEmpty().default('trigger').describe('Queue topic that receives `trigger` events'),
    users: z
      .record(
        str().regex(USER_NAME, { error: 'user names are 1-64 characters of A-Z a-z 0-9 _ . @ -' }),
        rocketUserSchema,
        {
          error: 'expected a mapping of user name to user',
        },
      )
      .default({})
      .describe('User name → `{ secret, permissions }`'),
  },
  { error: 'expected a mapping' },
);

// Origins as browsers send them: scheme://host[:port], nothing after ("null" for opaque origins).
const originList = () =>
  z.array(
    str().regex(/^(null|[a-z][a-z0-9+.-]*:\/\/[^/\s?#]+\/?)$/i, {
      error: 'expected an origin like "https://app.example" or "http://localhost:3000" (no path)',
    }),
    { error: 'expected a list of origins' },
  );

/** Pusher app ids and keys appear in URL paths (`/app/KEY`, `/apps/ID/events`): keep them plain. */
export const PUSHER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const pusherName = () => str().regex(PUSHER_NAME, { error: 'expected 1-64 characters of A-Z a-z 0-9 _ . -' });

/** What a Pusher webhook can report (docs/protocol/pusher.md, "Webhooks"). */
export const PUSHER_WEBHOOK_EVENTS = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
] as const;

const pusherWebhookSchema = z.strictObject(
  {
    url: str()
      .regex(/^https?:\/\/[^\s]+$/, { error: 'expected an http:// or https:// URL' })
      .describe('Where the signed POSTs go'),
    event_types: z
      .array(
        z.enum(PUSHER_WEBHOOK_EVENTS, { error: `expected one of ${PUSHER_WEBHOOK_EVENTS.join(', ')}` }),
        {
          error: 'expected a list of event types',
        },
      )
      .default([...PUSHER_WEBHOOK_EVENTS])
      .describe('The events this URL receives; default: all six'),
  },
  { error: 'expected a mapping with url (and event_types)' },
);

const pusherSchema = z.strictObject(
  {
    app_id: pusherName().describe('The app id of the HTTP API (`/apps/ID/events`); unique'),
    key: pusherName().describe('The app key clients connect with (`/app/KEY`); unique'),
    secret: nonEmpty().describe('Signs channel auth, user sign-in and HTTP API requests'),
    enable_client_messages: bool()
      .default(false)
      .describe('Accept `client-*` events on private and presence channels'),
    activity_timeout: int(1, 3600, 'seconds from 1 to 3600')
      .default(120)
      .describe('Seconds of silence after which clients ping (`activity_timeout` in the handshake)'),
    max_connections: positiveInt()
      .default(10000)
      .describe(
        "The app's WebSocket connections on one node; past it a new one gets error 4004 and is closed",
      ),
    max_client_events_per_second: positiveInt()
      .default(10)
      .describe('Client events one connection may send per second; more get error 4301'),
    max_presence_members: positiveInt()
      .default(100)
      .describe('Distinct users in one presence channel; a new one past it gets subscription_error'),
    max_event_bytes: positiveInt()
      .default(10240)
      .describe("Size of one event's `data` sent through the HTTP API; larger gets 413"),
    max_user_info_bytes: positiveInt()
      .default(1024)
      .describe("Size of one presence member's `channel_data` (JSON text)"),
    webhooks: z
      .array(pusherWebhookSchema, { error: 'expected a list of webhooks' })
      .default([])
      .describe('Signed HTTP POSTs of channel, presence and client events (Pusher webhooks)'),
    webhook_batch_ms: int(0, 60000, 'an integer from 0 to 60000')
      .default(250)
      .describe('Events that happen within this long go out in one webhook request'),
    webhook_retry_ms: positiveInt()
      .default(300000)
      .describe('A failing webhook request is retried with back-off for this long, then dropped'),
    cache_miss_webhook_interval_ms: positiveInt()
      .default(60000)
      .describe(
        'A `cache-` channel found empty by a subscriber is reported (`cache_miss` webhook) at most once per this long across the cluster; every subscriber still gets `pusher:cache_miss`',
      ),
    webhook_queue_size: positiveInt()
      .default(10000)
      .describe('Webhook events one node holds per app while its URL fails; past it the oldest are dropped'),
  },
  { error: 'expected a mapping with app_id, key and secret' },
);

/** `10.0.0.0/8`, `::1/128`, or a bare address (one host). Checked here so a typo fails at start. */
export function cidrProblem(value: string): string | null {
  const slash = value.indexOf('/');
  const address = slash === -1 ? value : value.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return `"${address}" is not an IPv4 or IPv6 address`;
  if (slash === -1) return null;
  const bits = value.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `the prefix length must be 0-${max}`;
  return null;
}

const cidrList = () =>
  z.array(
    str().superRefine((value, ctx) => {
      const problem = cidrProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `expected a CIDR like "10.0.0.0/8": ${problem}` });
    }),
    { error: 'expected a list of CIDR networks' },
  );

const namespaceSchema = section({
  secret: nonEmpty()
    .optional()
    .describe('site: HMAC key for `subscribe`. Without it, no site subscription can authenticate'),
  post_secret: nonEmpty()
    .optional()
    .describe('site: HMAC key for `POST /post`. Without it, no `/post` can authenticate'),
  token_ttl: positiveInt().default(300).describe('Seconds a `/token` stays valid (its `expires`)'),
  post_token_reuse: bool()
    .default(true)
    .describe(
      'site: false makes `POST /post` accept each token once (a replay gets 403 `token already used`)',
    ),
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
  api_keys: z
    .array(nonEmpty(), { error: 'expected a list of strings' })
    .default([])
    .describe('mesh: keys accepted on `/ws/v1` and `/v1/*` (`Authorization: Bearer KEY` or `?key=`)'),
  trusted_networks: cidrList()
    .default([])
    .describe(
      'mesh: CIDR networks whose requests to `/ws/v1` and `/v1/*` need no API key (the TCP peer address; never X-Forwarded-For)',
    ),
  client_topic: nonEmpty()
    .default('client')
    .describe('mesh: queue topic that receives gateway client traffic'),
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
  rocket: rocketSchema.optional().describe('Makes the namespace a WebRocket vhost'),
  pusher: pusherSchema.optional().describe('Makes the namespace a Pusher Channels app'),
});

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
    dialects: section({
      site: bool().default(true).describe('The site dialect: `/ws?site=`, `/token`, `/post`'),
      mesh: bool().default(true).describe('The mesh dialect: `/ws/v1`, `/v1/*`, the gateway client endpoint'),
      rocket: bool().default(true).describe("The rocket dialect: every namespace's vhost path"),
      pusher: bool()
        .default(true)
        .describe('The pusher dialect: `/app/KEY` and `/apps/*` of namespaces with `pusher`'),
      chat: bool()
        .default(true)
        .describe(
          'The chat dialect: `/ws?username=`, `/api/*`, the page at `/` (anonymous: anyone can post)',
        ),
    }).describe('Which client dialects are served; the operator endpoints always are'),
    chat: section({
      namespace: str()
        .regex(NAMESPACE_NAME, { error: 'expected a namespace name' })
        .default('chat')
        .describe('Namespace of the chat rooms; it exists even when `namespaces` does not list it'),
      kozma: bool().default(false).describe('Run the Kozma Prutkov bot (room `kozma`)'),
      max_messages_in_room: positiveInt().default(1024).describe('History kept per room'),
      max_message_length: positiveInt().default(10500).describe('Characters; longer texts are cut'),
      max_room_title_length: positiveInt().default(50).describe('Characters; longer room names are cut'),
      max_username_length: positiveInt()
        .default(50)
        .describe('Characters; longer usernames are refused (400)'),
      max_rooms: positiveInt()
        .default(1000)
        .describe(
          'Rooms kept; one more evicts the least recently active room with its history (anyone can create rooms)',
        ),
      max_new_rooms_per_minute: positiveInt()
        .default(30)
        .describe('New rooms one client address may create per minute; past it the socket closes with 1008'),
      rooms_listed: positiveInt()
        .default(100)
        .describe('`GET /api/rooms` lists at most this many rooms: the most recently active'),
      allowed_origins: originList()
        .optional()
        .describe('Browser origins allowed to open chat WebSockets; unset: any'),
    }).describe('The nane chat dialect (`/ws?username=`, `/api/*`, the page at `/`)'),
    mesh: section({
      client_path: urlPath()
        .default('/client')
        .describe('WebSocket path of gateway clients; not a reserved path'),
      close_after_lost_items: int(0, Number.MAX_SAFE_INTEGER, 'a non-negative integer')
        .default(1)
        .describe(
          'Items of one gateway client the engine could not store (Redis down) before the client is closed with 1013; each is counted. 1: at the first, so a backend never sees a conversation with a hole. Above 1 the client stays through a short outage and its backend may miss frames; 0: never closed',
        ),
    }).describe("The mesh dialect's gateway client endpoint"),
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
      checkPaths(cfg, ctx);
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

/** Rocket vhost paths: unique, and never one the listener routes itself. */
function checkPaths(cfg: unknown, ctx: z.RefinementCtx): void {
  const clientPath = stringAt(cfg, 'mesh', 'client_path');
  if (clientPath !== undefined) {
    const conflict = reservedPathConflict(clientPath);
    if (conflict) ctx.addIssue({ code: 'custom', path: ['mesh', 'client_path'], message: conflict });
  }
  const namespaces = (cfg as { namespaces?: unknown } | undefined)?.namespaces;
  if (typeof namespaces !== 'object' || namespaces === null) return;
  const seen = new Map<string, string>();
  const pusherSeen = new Map<string, string>();
  const hasPusher = Object.values(namespaces).some((ns) => stringAt(ns, 'pusher', 'key') !== undefined);
  if (hasPusher && clientPath?.startsWith(PUSHER_PATH_PREFIX))
    ctx.addIssue({
      code: 'custom',
      path: ['mesh', 'client_path'],
      message: "paths under /app/ are the Pusher apps' paths",
    });
  for (const [name, ns] of Object.entries(namespaces)) {
    for (const field of ['app_id', 'key'] as const) {
      const value = stringAt(ns, 'pusher', field);
      if (value === undefined) continue;
      const other = pusherSeen.get(`${field}\0${value}`);
      if (other === undefined) pusherSeen.set(`${field}\0${value}`, name);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['namespaces', name, 'pusher', field],
          message: `${value} is already the pusher ${field} of namespace ${other}`,
        });
    }
    const rocketPath = stringAt(ns, 'rocket', 'path');
    if (rocketPath === undefined) continue;
    const path = ['namespaces', name, 'rocket', 'path'];
    const conflict =
      reservedPathConflict(rocketPath, clientPath) ??
      (hasPusher && rocketPath.startsWith(PUSHER_PATH_PREFIX)
        ? "paths under /app/ are the Pusher apps' paths"
        : null);
    if (conflict) ctx.addIssue({ code: 'custom', path, message: conflict });
    const other = seen.get(rocketPath);
    if (other === undefined) seen.set(rocketPath, name);
    else
      ctx.addIssue({
        code: 'custom',
        path,
        message: `${rocketPath} is already the path of namespace ${other}`,
      });
  }
}

function stringAt(value: unknown, a: string, b: string): string | undefined {
  const inner = (value as Record<string, unknown> | null | undefined)?.[a];
  const leaf = (inner as Record<string, unknown> | null | undefined)?.[b];
  return typeof leaf === 'string' ? leaf : undefined;
}

/** The parsed, defaulted configuration the rest of the server reads. */
export type Config = z.output<typeof configSchema>;
export type NamespaceConfig = Config['namespaces'][string];
export type RocketConfig = NonNullable<NamespaceConfig['rocket']>;
export type PusherConfig = NonNullable<NamespaceConfig['pusher']>;
