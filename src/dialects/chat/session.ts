import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Hub } from '../../core/hub.js';
import { countLimit } from '../../core/limit-counters.js';
import { renderOnce, renderOnceWith } from '../../core/render-cache.js';
import type { Publication } from '../../core/types.js';
import type { SocketLimits } from '../../transport/client-socket.js';
import { textFrame } from '../../transport/frame.js';
import type { KeyedRate } from '../../transport/keyed-rate.js';
import { normalizeIp } from '../../transport/limits.js';
import { wireErrorOf } from '../kit/hub-errors.js';
import { BinaryFrames, DialectSession, type SessionKind } from '../kit/session.js';
import {
  CHAT_HUB_ERRORS,
  ChatErrorCode,
  type ChatLimits,
  PONG,
  PUBLISH_FAILED,
  parseClientFrame,
  renderMessage,
} from './codec.js';
import type { RoomDirectory } from './room-directory.js';

/** What every chat session shares: built once by the dialect. */
export interface ChatShared {
  hub: Hub;
  namespace: string;
  limits: ChatLimits;
  rooms: RoomDirectory;
  /** New rooms per client address (chat.max_new_rooms_per_minute). */
  newRooms: KeyedRate;
  socketLimits: SocketLimits;
  logger: Logger;
}

/** The cache key of the live rendering (with `id`), shared by every chat session of the node. */
export const LIVE_RENDER_KEY = 'chat.live';
/** The cache key of the stored rendering (no `id`): /history and `last_message`. */
export const STORED_RENDER_KEY = 'chat.stored';

function renderLiveFrame(p: Publication, shared: ChatShared): Buffer {
  // Every publication of the namespace passes here once: the cheapest place to learn its room.
  shared.rooms.note(p.channel);
  return textFrame(renderMessage(p, shared.namespace, true));
}

/**
 * The live rendering of a publication as one complete WebSocket frame (transport/frame.ts),
 * encoded once per node however many chat clients receive it.
 */
export function liveFrame(shared: ChatShared, p: Publication): Buffer {
  return renderOnceWith(p, LIVE_RENDER_KEY, shared, renderLiveFrame);
}

/** The stored rendering (JSON text without `id`), cached on the publication like the live one. */
export function storedMessage(shared: ChatShared, p: Publication): string {
  return renderOnce(p, STORED_RENDER_KEY, () => renderMessage(p, shared.namespace, false));
}

/**
 * Every frame is handled (a client reading too slowly is no longer read). nane reads binary frames
 * like text frames; one that is not UTF-8 closes with 1007.
 */
const KIND: SessionKind = { dialect: 'chat', binaryFrames: BinaryFrames.utf8, inbox: 'backpressure' };

/**
 * One chat WebSocket. Frames are handled strictly one after another (a publish may wait for the
 * engine), so a client's messages are published, and its pongs written, in the order it sent them.
 */
export class ChatSession extends DialectSession {
  private ended = false;
  private readonly address: string;

  constructor(
    private readonly shared: ChatShared,
    ws: WebSocket,
    readonly username: string,
    remoteAddress: string | undefined,
  ) {
    super(ws, KIND, {
      hub: shared.hub,
      namespace: shared.namespace,
      socketLimits: shared.socketLimits,
      remoteAddress,
      user: username,
    });
    this.address = normalizeIp(remoteAddress ?? 'unknown');
    // This session's work, one step at a time: watchAll first, then each frame in arrival order.
    // Frames wait for the watch, so a client always receives its own first message.
    this.inbox.push(
      () => shared.hub.watchAll(this.conn),
      (err) => {
        shared.logger.error({ err, client: this.conn.id }, 'chat: could not watch the namespace');
        this.close(1011, 'internal error');
      },
    );
  }

  // ---- ConnectionSink -----------------------------------------------------------------------

  deliver(p: Publication): boolean {
    return this.socket.sendFrame(liveFrame(this.shared, p));
  }

  // ---- inbound -------------------------------------------------------------------------------

  protected onText(text: string): void {
    this.inbox.push(
      () => this.handleFrame(text),
      (err) => this.shared.logger.error({ err, client: this.conn.id }, 'chat: frame not handled'),
    );
  }

  /** A binary frame that is not UTF-8. */
  protected override onBinary(): void {
    this.refuseFrame(ChatErrorCode.invalidJson, 'frame is not valid UTF-8');
  }

  private async handleFrame(raw: string): Promise<void> {
    if (this.ended || !this.socket.open) return;
    const frame = parseClientFrame(raw, this.shared.limits);
    switch (frame.kind) {
      case 'ping':
        this.socket.send(PONG);
        return;
      case 'ignored':
        return;
      case 'invalid':
        this.refuseFrame(frame.code, frame.reason);
        return;
      case 'message':
        try {
          const room = await this.shared.rooms.resolve(frame.room, this.mayCreateRoom);
          if (room === undefined) {
            // nane has no error frame: a close with a reason is the only way to say it.
            this.shared.hub.errors.count('chat', ChatErrorCode.tooManyRooms);
            countLimit('chat_max_new_rooms_per_minute');
            this.close(1008, 'too many new rooms, slow down');
            return;
          }
          const input = { data: frame.text, sender: this.username };
          await this.shared.hub.publish(
            this.shared.namespace,
            room,
            frame.id === undefined ? input : { ...input, id: frame.id },
          );
        } catch (err) {
          this.shared.logger.error({ err, client: this.conn.id }, 'chat: publish failed');
          const close = wireErrorOf(CHAT_HUB_ERRORS, err) ?? PUBLISH_FAILED;
          this.close(close.code, close.reason);
        }
    }
  }

  private readonly mayCreateRoom = (): boolean => this.shared.newRooms.take(this.address);

  /** Every 1007 close goes through here, so each is counted once (errors_total). */
  private refuseFrame(code: ChatErrorCode, reason: string): void {
    this.shared.hub.errors.count('chat', code);
    this.close(1007, reason);
  }

  override onClose(): void {
    this.end();
  }

  /** Unregistered at once: nothing more is written to a socket that failed. */
  override onSocketError(): void {
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    super.onClose();
  }
}
