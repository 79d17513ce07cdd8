/**
 * Gateway clients (docs/protocol/mesh.md): the end users a CONNMIX gateway served, here on `GET /client`
 * (`mesh.client_path`). No auth at the gateway: backends authenticate clients from the handshake
 * item (headers, cookies) or from their first messages, then steer them with conn.call.
 *
 * Everything a client does becomes an item on its namespace's client topic, in order per
 * connection: handshake, one item per frame (with the connection's context at the time the frame
 * arrived), close. Backends consume the topic with queue.pop. What backends target at the client
 * (mesh.send, publications of channels it was subscribed to) arrives as raw frames.
 */
import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import type { Connection, ConnectionSink } from '../../core/connection.js';
import { countLimit } from '../../core/limit-counters.js';
import { renderOnce } from '../../core/render-cache.js';
import type { JsonValue, Publication } from '../../core/types.js';
import { ClientSocket, socketLimitsFor } from '../../transport/client-socket.js';
import { encodeFrame } from '../../transport/frame.js';
import { originRefusal } from '../../transport/origin.js';
import type { UpgradeRoute } from '../../transport/routes.js';
import type { DialectContext } from '../context.js';
import { SerialInbox } from '../kit/serial-inbox.js';
import { DEFAULT_NAMESPACE, requestedNamespace } from './auth.js';
import { renderRawFrame } from './codec.js';
import { GatewayOutageLog, gatewayStats, OUTAGE_CLOSE_CODE, OUTAGE_CLOSE_REASON } from './gateway-outage.js';

const DEFAULT_CLIENT_TOPIC = 'client';
/** Items of one connection waiting to be stored before its socket stops being read, and again. */
const PENDING_HIGH = 1024;
const PENDING_LOW = 256;
const RENDER_KEY = 'mesh.raw';

/** The raw rendering as one complete WebSocket frame (binary publications as binary frames). */
function renderFrame(p: Publication): Buffer {
  const raw = renderRawFrame(p);
  return encodeFrame(raw.data, raw.binary);
}

/** The sink of every mesh connection: publications and mesh.send data as raw frames (docs/architecture.md). */
export function rawSink(socket: ClientSocket): ConnectionSink {
  return {
    deliver: (p) => socket.sendFrame(renderOnce(p, RENDER_KEY, renderFrame)),
    sendRaw: (data, binary) => socket.send(data, binary),
    close: (code, reason) => socket.close(code, reason),
  };
}

export function rawDataToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Request headers as a JSON object; Node already lower-cases the names. */
function headerObject(req: IncomingMessage): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Gateway items wait in the client topic until a backend pops them; a namespace whose backends
 * cannot log in (no API key, no trusted network: the chat namespace, a site-only namespace) never
 * has a consumer, so its topic would only fill up with anonymous frames (`topic_size` of them,
 * up to 64 KiB each). Such a namespace refuses gateway clients before the upgrade.
 */
function noBackendRefusal(ctx: DialectContext, namespace: string): string | undefined {
  const ns = ctx.config.namespaces[namespace];
  if (ns && (ns.api_keys.length > 0 || ns.trusted_networks.length > 0)) return undefined;
  return `site "${namespace}" takes no gateway clients: it has no api_keys and no trusted_networks, so no backend could ever receive their frames`;
}

function holdClient(ctx: DialectContext, conn: Connection, topic: string): void {
  void ctx.hub
    .holdClient(conn, topic)
    .catch((err) => ctx.logger.debug({ err, client: conn.id }, 'gateway: hold'));
}

function clientTopic(ctx: DialectContext, namespace: string): string {
  return ctx.config.namespaces[namespace]?.client_topic ?? DEFAULT_CLIENT_TOPIC;
}

export function gatewayUpgrade(ctx: DialectContext): UpgradeRoute<{ namespace: string }> {
  const outage = new GatewayOutageLog(ctx.logger);
  ctx.hub.watchContext('gateway', (conn) => holdClient(ctx, conn, clientTopic(ctx, conn.namespace)));
  return {
    path: ctx.config.mesh.client_path,
    authorize: (req, url) => {
      const namespace = requestedNamespace(url);
      if (ctx.hub.namespace(namespace)) {
        const noBackend = noBackendRefusal(ctx, namespace);
        if (noBackend !== undefined) {
          countLimit('gateway_without_backend');
          return { ok: false, status: 403, body: { error: noBackend } };
        }
        const badOrigin = originRefusal(req, ctx.config.namespaces[namespace]?.allowed_origins);
        if (badOrigin !== undefined) return { ok: false, status: 403, body: { error: badOrigin } };
        return { ok: true, state: { namespace } };
      }
      const error = url.searchParams.has('site')
        ? `unknown site "${namespace}"`
        : `no ?site= given and no namespace named "${DEFAULT_NAMESPACE}" is configured: pass ?site=NAME or configure a "${DEFAULT_NAMESPACE}" namespace`;
      return { ok: false, status: 404, body: { error } };
    },
    onConnection: (ws, req, _url, state) => startGatewaySession(ctx, outage, ws, req, state.namespace),
  };
}

function startGatewaySession(
  ctx: DialectContext,
  outage: GatewayOutageLog,
  ws: WebSocket,
  req: IncomingMessage,
  namespace: string,
): void {
  const { hub, config } = ctx;
  const socket = new ClientSocket(ws, socketLimitsFor(config.limits));
  const conn = hub.register({
    namespace,
    dialect: 'gateway',
    sink: rawSink(socket),
    remoteAddress: req.socket.remoteAddress,
  });
  const topic = clientTopic(ctx, namespace);
  // One inbox per connection: a connection's items reach the topic in the order they happened;
  // a client that sends faster than its items are stored is no longer read until they catch up.
  const inbox = new SerialInbox(PENDING_HIGH, undefined, {
    resumeAt: PENDING_LOW,
    pause: () => ws.pause(),
    resume: () => ws.resume(),
  });
  // Once `mesh.close_after_lost_items` items of this connection are lost (by default the first),
  // its later frames are not stored either (the backend would see a conversation with a hole in
  // it): they are counted as lost, and the client, closed with 1013, reconnects. Its close item is
  // still tried, so a backend can learn it left.
  const closeAfter = config.mesh.close_after_lost_items;
  let lostHere = 0;
  let broken = false;
  const push = (d: JsonValue, always = false) => {
    const item = { node: hub.nodeId, client: conn.id, topic, data: d };
    inbox.push(
      async () => {
        if (broken && !always) {
          outage.lost(1, undefined, namespace);
          return;
        }
        await hub.queuePush(namespace, topic, item);
        outage.stored();
      },
      (err) => {
        outage.lost(1, err, namespace);
        lostHere++;
        if (broken || closeAfter === 0 || lostHere < closeAfter) return;
        broken = true;
        gatewayStats.outageCloses++;
        socket.close(OUTAGE_CLOSE_CODE, OUTAGE_CLOSE_REASON);
      },
    );
  };

  // Recorded in the engine so that, should this node die, a survivor pushes the close item (again
  // whenever a backend changes the context: see gatewayUpgrade).
  holdClient(ctx, conn, topic);
  push({ event: 'handshake', headers: headerObject(req) });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const bytes = rawDataToBuffer(data);
    const frame = {
      type: isBinary ? 'binary' : 'text',
      data: isBinary ? bytes.toString('base64') : bytes.toString('utf8'),
      finish: true,
    };
    push({ event: 'message', frame, context: { ...conn.context } });
  });
  ws.on('close', () => {
    push({ event: 'close', context: { ...conn.context } }, true);
    // After the close item (the inbox keeps order): released only once it was pushed or lost.
    inbox.push(
      () => hub.releaseClient(conn),
      (err) => ctx.logger.debug({ err, client: conn.id }, 'gateway: release'),
    );
    void hub.unregister(conn);
  });
  ws.on('error', (err) => ctx.logger.debug({ err, client: conn.id }, 'gateway socket error'));
}
