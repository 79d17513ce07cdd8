// A starting config file for `switchboard gen-config`: the keys a real deployment sets, with fresh
// secrets, and every other key present as a commented-out line showing its default, so the file
// doubles as a reference. A test loads the output through loadConfig to keep the two in step.
import { randomSecret } from './demo-config.js';

export function generateConfigYaml(): string {
  return `# Switchboard configuration. Reference: docs/configuration.md
# Every key can be overridden by an env var (SWITCHBOARD_LISTEN__PORT=7000) or a flag
# (--set listen.port=7000, --port 7000). \${VAR} is replaced from the environment (quote it
# when the value may contain YAML syntax: key: "\${ADMIN_KEY}"); $\${ gives a literal \${.
# Commented-out lines show the defaults.

listen:
  host: 0.0.0.0
  port: 6789

engine:
  type: memory
# engine:                       # several nodes sharing state through Redis
#   type: redis
#   url: redis://127.0.0.1:6379
#   prefix: sb

# 0..1023, baked into every client_id: in a cluster each node needs its own.
node_id: 1

admin:
  # Bearer key for /admin, /stats and /metrics. Without one they are open to anyone.
  key: ${randomSecret()}

# chat:                         # the nane dialect: /ws?username=, /api/*, the page at /
#   namespace: chat
#   kozma: false                # the Kozma Prutkov bot posting aphorisms to room "kozma"
#   max_messages_in_room: 1024
#   max_message_length: 10500
#   max_room_title_length: 50
#   max_username_length: 50

# mesh:
#   client_path: /client        # WebSocket path of gateway clients

# limits:
#   max_frame_bytes: 65536      # larger inbound frames are closed with 1009
#   max_http_body_bytes: 1048576
#   max_outbound_bytes: 1048576 # a client this far behind is closed with 1013
#   heartbeat_ms: 25000
#   shutdown_timeout_ms: 10000  # grace period after SIGTERM

log:
  level: info                   # fatal, error, warn, info, debug, trace, silent

namespaces:
  main:
    secret: ${randomSecret()}       # site: key of the subscribe HMAC
    post_secret: ${randomSecret()}  # site: key of the /post HMAC
    api_keys:                       # mesh: Bearer keys of backends (/ws/v1, /v1/*)
      - ${randomSecret()}
    # token_ttl: 300                # seconds a /token stays valid
    # history_size: 100             # buffered messages per channel
    # client_topic: client          # queue topic of gateway client traffic
    # topic_size: 2000              # queued items per topic before the oldest is dropped
    # max_topics: 100
    rocket:                         # a WebRocket vhost
      path: /main
      # trigger_topic: trigger
      users:
        reader:
          secret: ${randomSecret()}
          permissions: [READ]
        backend:
          secret: ${randomSecret()}
          permissions: [READ, WRITE, MANAGE]

  # default:                        # mesh's namespace when a request names no ?site=
  #   api_keys: ["\${DEFAULT_API_KEY}"]
`;
}
