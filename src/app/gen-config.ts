// A starting config file for `switchboard gen-config`: the keys a real deployment sets, with fresh
// secrets, and every other key present as a commented-out line showing its default (or an example
// when it has none), so the file doubles as a reference. Tests load the output through loadConfig
// and check that every schema key appears in it and that the commented limits are the defaults.
// Each dialect's lines come from its module (`configSchema.sample`), in the registry's order.
import { MAX_CHANNELS_PER_CONNECTION } from '../core/channel-name.js';
import { MAX_JSON_DEPTH } from '../core/json-depth.js';
import type { ConfigSample } from '../dialects/module.js';
import { DIALECT_MODULES } from '../dialects/registry.js';
import { randomSecret } from './demo-config.js';

/** The modules' sample lines of one kind, indented, each `\${SECRET}` a fresh secret. */
function samples(kind: keyof ConfigSample, indent: string, separator = '\n'): string {
  return DIALECT_MODULES.flatMap((m) => {
    const text = m.configSchema.sample?.[kind];
    return text === undefined ? [] : [text.replace(/\$\{SECRET\}/g, () => randomSecret())];
  })
    .map((text) => text.replace(/^/gm, indent))
    .join(separator);
}

export function generateConfigYaml(): string {
  return `# Switchboard configuration. Reference: docs/configuration.md
# Every key can be overridden by an env var (SWITCHBOARD_LISTEN__PORT=7000) or a flag
# (--set listen.port=7000, --port 7000). \${VAR} is replaced from the environment (quote it
# when the value may contain YAML syntax: key: "\${ADMIN_KEY}"); $\${ gives a literal \${.
# Commented-out lines show the defaults, or an example for a key that is unset by default.

listen:
  host: 0.0.0.0
  port: 6789
  # advertise_address: 10.0.0.5:6789  # where mesh backends reach this node (GET /v1/nodes)

# tls:                          # serve HTTPS/WSS directly (unset: plain HTTP behind a TLS proxy)
#   cert: /etc/ssl/rt.example.com/fullchain.pem   # PEM chain, leaf first; re-read on SIGHUP
#   key: /etc/ssl/rt.example.com/privkey.pem      # readable by the service user only

engine:
  type: memory
# engine:                       # several nodes sharing state through Redis
#   type: redis
#   url: redis://127.0.0.1:6379
#   prefix: sb
#   lease_node_id: false        # true: lease a free node id from Redis instead of node_id
#   sentinels: [10.0.0.1:26379, 10.0.0.2:26379, 10.0.0.3:26379]  # instead of url's host: follow failovers
#   name: mymaster              # the master name the Sentinels monitor
#   command_timeout_ms: 1500    # a Redis call without an answer fails (and a publish never runs late)
#   ping_interval_ms: 1000      # how often /readyz probes Redis
#   ping_threshold_ms: 1000     # /readyz 503 while Redis answers slower than this
#   publish_batch_max: 64       # publications waiting together go in one script call; 1: off
#   node_lease_ms: 15000        # a node silent this long counts as dead (its presence members leave)
#   presence_sweep_ms: 5000     # how often survivors remove dead nodes' presence members
#   cluster: [10.0.0.1:7000, 10.0.0.2:7000, 10.0.0.3:7000]  # Redis Cluster instead (not with sentinels)

# 0..1023, baked into every client_id: in a cluster each node needs its own.
node_id: 1

# Processes sharing the listening port ("auto": one per core), each a cluster node with a leased
# node id; more than 1 needs the redis engine.
workers: 1

admin:
  # Bearer key for /admin, /stats and /metrics. Without one the server starts only on a
  # loopback listen.host, unless insecure: true (the endpoints are then open to anyone).
  key: ${randomSecret()}
  # insecure: false
  # allowed_origins: [https://ops.example]  # other origins allowed to send mutating admin requests

# Client dialects to serve. Chat is anonymous (anyone can post and create rooms): off unless wanted.
dialects:
${samples('toggle', '  ')}

${samples('section', '', '\n\n')}

# limits:
#   max_frame_bytes: 65536      # larger inbound frames are closed with 1009
#   max_http_body_bytes: 1048576
#   max_outbound_bytes: 1048576 # a client this far behind is closed with 1013
#   write_coalesce_ms: 5        # hold fast publications this long to write them together; 0: never
#   heartbeat_ms: 25000
#   shutdown_timeout_ms: 10000  # grace period after SIGTERM
#   # max_connections: 100000   # open WebSockets in total; past it upgrades get 503.
#                               # Unset: 100000, or the open-file limit - fd_reserve if lower
#   # max_connections_per_ip: 1000  # TCP connections per peer, counted at accept; raise it
#                               # behind a reverse proxy. Unset: 1000, or less under a low file limit
#   fd_reserve: 128             # descriptors client sockets leave free (Redis, files, /healthz)
#   headers_timeout_ms: 5000    # a connection slower to send its headers gets 408
#   request_timeout_ms: 30000   # a request (body included) slower than this gets 408
#   keep_alive_timeout_ms: 5000 # idle kept-alive HTTP connections are closed
#   min_body_bytes_per_second: 1024  # slower request bodies are cut with 408; 0: off
#   max_messages_per_second: 100  # inbound frames per connection; well above it closes with 1008
#   max_messages_burst: 200     # frames one connection may send back to back
#   max_json_depth: ${MAX_JSON_DEPTH}          # deeper JSON is refused where it enters
#   max_channels_per_connection: ${MAX_CHANNELS_PER_CONNECTION}  # channels one connection may subscribe to at once

log:
  level: info                   # fatal, error, warn, info, debug, trace, silent
  # summary_interval_ms: 10000  # auth failures and fired limits: one line per kind and interval, with a count

namespaces:
  main:
    # history_size: 100             # buffered messages per channel
    # max_channels: 10000           # channels clients give history to; one more evicts the least recently active
    # max_new_channels_per_minute: 300  # new such channels one connection may make a minute
    # topic_size: 2000              # queued items per topic before the oldest is dropped
    # topic_bytes: 8388608          # queued bytes per topic before the oldest are dropped
    # max_topics: 100
    # allowed_origins: [https://app.example]  # browser origins allowed to connect; unset: any
${samples('namespace', '    ')}

  # default:                        # mesh's namespace when a request names no ?site=
  #   api_keys: ["\${DEFAULT_API_KEY}"]
`;
}
