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
import type { WebSocket } from 'ws';
import type { Connection } from '../../core/connection.js';
import { countLimit } from '../../core/limit-counters.js';
import type { JsonValue } from '../../core/types.js';
import { socketLimitsFor } from '../../transport/client-socket.js';
import { originRefusal } from '../../transport/origin.js';
import type { UpgradeRoute } from '../../transport/routes.js';
import type { DialectContext } from '../context.js';
import { BinaryFrames, type SessionKind } from '../kit/session.js';
import { DEFAULT_NAMESPACE, requestedNamespace } from './auth.js';
import { GatewayOutageLog, gatewayStats, OUTAGE_CLOSE_CODE, OUTAGE_CLOSE_REASON } from './gateway-outage.js';
import { RawSession } from './raw-session.js';

const DEFAULT_CLIENT_TOPIC = 'client';

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
    onConnection: (ws, req, _url, state) => {
      new GatewaySession(ctx, outage, ws, req, state.namespace);
    },
  };
}

/**
 * A connection's items reach the topic in the order they happened (its one inbox); a client that
 * sends faster than its items are stored is no longer read until they catch up. Binary frames
 * travel as base64.
 */
const KIND: SessionKind = { dialect: 'gateway', binaryFrames: BinaryFrames.bytes, inbox: 'backpressure' };

class GatewaySession extends RawSession {
  private readonly topic: string;
  /**
   * Once `mesh.close_after_lost_items` items of this connection are lost (by default the first),
   * its later frames are not stored either (the backend would see a conversation with a hole in
   * it): they are counted as lost, and the client, closed with 1013, reconnects. Its close item is
   * still tried, so a backend can learn it left.
   */
  private broken = false;
  private lostHere = 0;

  constructor(
    private readonly ctx: DialectContext,
    private readonly outage: GatewayOutageLog,
    ws: WebSocket,
    req: IncomingMessage,
    namespace: string,
  ) {
    super(ws, KIND, {
      hub: ctx.hub,
      namespace,
      socketLimits: socketLimitsFor(ctx.config.limits),
      remoteAddress: req.socket.remoteAddress,
    });
    this.topic = clientTopic(ctx, namespace);
    // Recorded in the engine so that, should this node die, a survivor pushes the close item (again
    // whenever a backend changes the context: see gatewayUpgrade).
    holdClient(ctx, this.conn, this.topic);
    this.push({ event: 'handshake', headers: headerObject(req) });
  }

  protected onText(text: string): void {
    const frame = { type: 'text', data: text, finish: true };
    this.push({ event: 'message', frame, context: { ...this.conn.context } });
  }

  protected override onBinary(bytes: Buffer): void {
    const frame = { type: 'binary', data: bytes.toString('base64'), finish: true };
    this.push({ event: 'message', frame, context: { ...this.conn.context } });
  }

  override onClose(): void {
    const { hub } = this;
    const conn = this.conn;
    this.push({ event: 'close', context: { ...conn.context } }, true);
    // After the close item (the inbox keeps order): released only once it was pushed or lost.
    this.inbox.push(
      () => hub.releaseClient(conn),
      (err) => this.ctx.logger.debug({ err, client: conn.id }, 'gateway: release'),
    );
    super.onClose();
  }

  override onSocketError(err: Error): void {
    this.ctx.logger.debug({ err, client: this.conn.id }, 'gateway socket error');
  }

  private push(d: JsonValue, always = false): void {
    const { hub, conn, topic, outage } = this;
    const namespace = conn.namespace;
    const item = { node: hub.nodeId, client: conn.id, topic, data: d };
    this.inbox.push(
      async () => {
        if (this.broken && !always) {
          outage.lost(1, undefined, namespace);
          return;
        }
        await hub.queuePush(namespace, topic, item);
        outage.stored();
      },
      (err) => {
        outage.lost(1, err, namespace);
        this.lostHere++;
        const closeAfter = this.ctx.config.mesh.close_after_lost_items;
        if (this.broken || closeAfter === 0 || this.lostHere < closeAfter) return;
        this.broken = true;
        gatewayStats.outageCloses++;
        this.socket.close(OUTAGE_CLOSE_CODE, OUTAGE_CLOSE_REASON);
      },
    );
  }
}
