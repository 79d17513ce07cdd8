/**
 * One backend on `/ws/v1` (docs/protocol/mesh.md). Requests are handled one at a time, in the
 * order they arrived, so replies come back in request order and a `queue.pop` followed by a
 * `queue.unpop` (or two `mesh.send` to one client) take effect in that order.
 *
 * The backend is itself a connection of its namespace (it needs a client_id to consume queues);
 * anything targeted at it with mesh.send or a subscription arrives raw, as for a gateway client.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { socketLimitsFor } from '../../transport/client-socket.js';
import type { UpgradeRoute } from '../../transport/routes.js';
import type { DialectContext } from '../context.js';
import { BinaryFrames, type SessionKind } from '../kit/session.js';
import { authorizeBackendLogged } from './auth.js';
import {
  type DecodedRequest,
  decodeRequest,
  encodeQueueEvent,
  errorEnvelope,
  type MeshCall,
  MeshMethod,
  type RequestId,
  resultEnvelope,
} from './codec.js';
import { MeshError, MeshErrorCode } from './errors.js';
import { FAILURE_CODE, type MeshResult, meshCodeOf, runConnCall, runPublish, runSend } from './handlers.js';
import { RawSession } from './raw-session.js';

export const BACKEND_PATH = '/ws/v1';

export function backendUpgrade(ctx: DialectContext): UpgradeRoute<{ namespace: string }> {
  return {
    path: BACKEND_PATH,
    // A backend holding an API key fans out work for many clients: no per-connection frame cap.
    exemptFromRateLimit: true,
    authorize: (req, url) => {
      const auth = authorizeBackendLogged(ctx, req, url);
      return auth.ok ? { ok: true, state: { namespace: auth.namespace } } : auth;
    },
    onConnection: (ws, req, _url, state) => {
      new BackendSession(ctx, ws, req, state.namespace);
    },
  };
}

/**
 * Requests read but not yet answered: past the inbox's high mark the socket is no longer read (TCP
 * pushes back on the backend) until the backlog is down to its low mark, so memory stays bounded
 * without refusing requests of a trusted backend. Binary frames are read as text.
 */
const KIND: SessionKind = { dialect: 'mesh', binaryFrames: BinaryFrames.text, inbox: 'backpressure' };

/**
 * Consecutive `mesh.publish` requests whose answers may be outstanding at once. Their publications
 * are started in request order without waiting for each answer, so a backend that pipelines
 * publishes gives the engine several at once (the Redis engine then sends them in one script
 * call); answers still go out in request order, and any other request waits until every earlier
 * publish is answered, so nothing else overtakes a publish.
 */
const PIPELINED_PUBLISHES = 64;

class BackendSession extends RawSession {
  /** The last publish answer (each sent after the one before), and how many are outstanding. */
  private publishTail: Promise<void> | undefined;
  private publishesOut = 0;

  constructor(
    private readonly ctx: DialectContext,
    ws: WebSocket,
    req: IncomingMessage,
    private readonly namespace: string,
  ) {
    super(ws, KIND, {
      hub: ctx.hub,
      namespace,
      socketLimits: socketLimitsFor(ctx.config.limits),
      remoteAddress: req.socket.remoteAddress,
    });
  }

  override onSocketError(err: Error): void {
    this.ctx.logger.debug({ err, client: this.conn.id }, 'backend socket error');
  }

  protected onText(text: string): void {
    // The original protocol's keep-alive for clients that cannot send ping frames (browsers): answered at once.
    if (text === 'ping') {
      this.socket.send('pong');
      return;
    }
    const decoded = this.decode(text);
    this.inbox.push(
      () => this.answer(decoded),
      (err) => this.ctx.logger.error({ err, client: this.conn.id }, 'mesh request not answered'),
    );
  }

  /**
   * decodeRequest never throws by contract; should a bug make it throw anyway, the exception must
   * not escape the socket's message handler (an uncaught exception shuts the process down): the
   * backend gets a 101 instead, without an id since none could be read.
   */
  private decode(text: string): DecodedRequest {
    try {
      return decodeRequest(text, this.ctx.config.limits.max_json_depth);
    } catch (err) {
      this.ctx.logger.error({ err, client: this.conn.id }, 'mesh request could not be decoded');
      const error = new MeshError(
        MeshErrorCode.invalidParams,
        `request could not be decoded: ${message(err)}`,
      );
      return { ok: false, id: null, error };
    }
  }

  private async answer(decoded: DecodedRequest): Promise<void> {
    if (decoded.ok && decoded.call.method === MeshMethod.publish) {
      if (this.publishesOut >= PIPELINED_PUBLISHES) await this.publishTail;
      this.publishesOut++;
      const text = this.answerText(decoded.call, decoded.id); // the publish starts now
      const previous = this.publishTail;
      this.publishTail = (async () => {
        await previous;
        this.socket.send(await text);
        this.publishesOut--;
      })();
      return;
    }
    if (this.publishTail) await this.publishTail;
    if (!decoded.ok) {
      this.socket.send(this.errorText(decoded.error, decoded.id));
      return;
    }
    this.socket.send(await this.answerText(decoded.call, decoded.id));
  }

  /** Never rejects: a failure is the method's error reply. */
  private async answerText(call: MeshCall, id: RequestId | undefined): Promise<string> {
    // Encoded inside the try: a result that cannot be encoded is answered as the method's failure.
    try {
      return JSON.stringify(resultEnvelope(await this.run(call), id));
    } catch (err) {
      return this.errorText(this.asMeshError(err, call), id);
    }
  }

  /** Every error reply is encoded here, so each is counted once (errors_total). */
  private errorText(err: MeshError, id: RequestId | undefined): string {
    this.ctx.hub.errors.count('mesh', String(err.code));
    return JSON.stringify(errorEnvelope(err, id));
  }

  private run(call: MeshCall): Promise<MeshResult> {
    const { hub } = this.ctx;
    switch (call.method) {
      case MeshMethod.send:
        return runSend(hub, this.namespace, call);
      case MeshMethod.publish:
        return runPublish(hub, this.namespace, call);
      case MeshMethod.call:
        return runConnCall(hub, this.namespace, call);
      case MeshMethod.pop:
        return this.pop(call.topics);
      case MeshMethod.unpop:
        return this.unpop();
    }
  }

  /**
   * Items already waiting are written as soon as the consumer is attached, so their events can
   * reach the backend before the reply to queue.pop.
   */
  private async pop(topics: string[]): Promise<MeshResult> {
    try {
      await this.ctx.hub.queueConsume(this.conn, topics, (item) => this.socket.send(encodeQueueEvent(item)));
    } catch (err) {
      const code = meshCodeOf(err, MeshMethod.pop);
      throw new MeshError(
        code,
        code === MeshErrorCode.duplicateConsume ? message(err) : `consume failed: ${message(err)}`,
      );
    }
    return { s: true };
  }

  private async unpop(): Promise<MeshResult> {
    try {
      await this.ctx.hub.queueStop(this.conn);
    } catch (err) {
      throw new MeshError(meshCodeOf(err, MeshMethod.unpop), `unpop failed: ${message(err)}`);
    }
    return { s: true };
  }

  /** Handlers throw MeshError; anything else is a bug, logged and answered with the method's failure code. */
  private asMeshError(err: unknown, call: MeshCall): MeshError {
    if (err instanceof MeshError) return err;
    this.ctx.logger.error({ err, method: call.method, client: this.conn.id }, 'mesh request failed');
    return new MeshError(FAILURE_CODE[call.method], `${call.method} failed: ${message(err)}`);
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
