// ChatClient: a browser and Node client for the `chat` dialect (docs/client-sdk.md): joins under
// a username, sends with an id and resolves when the server's broadcast of that id comes back,
// delivers live messages, and reads rooms and history through the REST API (`/api/*`).
import { ClientError } from './client-error.js';
import { ReconnectingSocket, type SocketEvents, type SocketOptions } from './reconnecting-socket.js';

/** A message as the server renders it (docs/protocol/chat.md, "Server frames"). */
export interface ChatMessage {
  /** Only on live frames whose sender gave one. */
  id?: string;
  room: string;
  /** RFC 3339, UTC, milliseconds. */
  created: string;
  sender: { username: string };
  text: string;
}

export interface ChatRoom {
  name: string;
  last_message: ChatMessage;
}

export interface ChatSettings {
  max_message_length: number;
  max_room_title_length: number;
  max_username_length: number;
  /** Nanoseconds. */
  uptime: number;
}

export interface ChatClientOptions extends SocketOptions {
  /** The server: `http://host:6789` or `ws://host:6789` (`https`/`wss` alike). */
  url: string;
  /** Shown as `sender.username` (trimmed by the server; at most `max_username_length` runes). */
  username: string;
  /** For the REST API; defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
}

export interface ChatClientEvents extends SocketEvents {
  /** Every message of every room, the client's own included (matched to `send()` by id). */
  message: (message: ChatMessage) => void;
}

interface PendingSend {
  id: string;
  text: string;
  timer: ReturnType<typeof setTimeout>;
  sent: boolean;
  resolve(m: ChatMessage): void;
  reject(e: ClientError): void;
}

let idCounter = 0;

export class ChatClient extends ReconnectingSocket<ChatClientEvents> {
  private readonly httpBase: string;
  private readonly doFetch: typeof fetch;
  /** Sends waiting for their echo, by id. */
  private readonly pending = new Map<string, PendingSend>();
  /** Id prefix of this client: ids unlikely to collide with another client's (they are broadcast). */
  private readonly idPrefix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(options: ChatClientOptions) {
    const base = new URL(options.url);
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(base.protocol)) {
      throw new TypeError(`url must start with http(s):// or ws(s)://, got ${options.url}`);
    }
    if (typeof options.username !== 'string' || options.username.trim() === '') {
      throw new TypeError('username must be a non-blank string');
    }
    const secure = base.protocol === 'https:' || base.protocol === 'wss:';
    const origin = `${base.host}${base.pathname.replace(/\/+$/, '')}`;
    super(
      `${secure ? 'wss' : 'ws'}://${origin}/ws?username=${encodeURIComponent(options.username)}`,
      options,
      'ChatClient',
    );
    this.httpBase = `${secure ? 'https' : 'http'}://${origin}`;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('no global fetch: pass the fetch option');
    this.doFetch = f.bind(globalThis);
  }

  /**
   * Send `text` to `room`. Resolves with the message as the server broadcast it (trimmed, cut,
   * the room's own casing) once that broadcast, carrying this send's id, comes back. Rejects with
   * `disconnected` if the connection went away first: the message may or may not have been
   * published, and it is not sent again.
   */
  send(room: string, text: string, options: { id?: string } = {}): Promise<ChatMessage> {
    if (this.state === 'closed') return Promise.reject(this.closedError(room));
    if (typeof room !== 'string' || room.trim() === '' || typeof text !== 'string' || text.trim() === '') {
      // The server ignores an empty room or text without a reply: refuse it here instead.
      return Promise.reject(
        new ClientError('usage', 'room and text must be non-blank strings', { channel: room }),
      );
    }
    const id = options.id ?? `${this.idPrefix}-${++idCounter}`;
    if (this.pending.has(id))
      return Promise.reject(new ClientError('usage', `id ${id} is already waiting for its echo`));
    return new Promise<ChatMessage>((resolve, reject) => {
      const p: PendingSend = {
        id,
        text: JSON.stringify({ room, text, id }),
        sent: false,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.pending.delete(id);
          reject(
            new ClientError('timeout', `no echo of message ${id} within ${this.requestTimeoutMs} ms`, {
              channel: room,
            }),
          );
        }, this.requestTimeoutMs),
      };
      this.pending.set(id, p);
      if (this.ready) this.transmit(p);
      else if (this.state === 'idle') this.connect().catch(() => undefined);
    });
  }

  /** Every room holding a message, sorted by name, each with its last message. */
  rooms(): Promise<ChatRoom[]> {
    return this.api<ChatRoom[]>('/api/rooms');
  }

  /** One room; rejects with `server` code `404` for an unknown room. */
  room(name: string): Promise<ChatRoom> {
    return this.api<ChatRoom>(`/api/rooms/${encodeURIComponent(name)}`);
  }

  /** A room's buffered messages, oldest first (without ids); `404` for an unknown room. */
  history(name: string): Promise<ChatMessage[]> {
    return this.api<ChatMessage[]>(`/api/rooms/${encodeURIComponent(name)}/history`);
  }

  settings(): Promise<ChatSettings> {
    return this.api<ChatSettings>('/api/settings');
  }

  // ---- connection hooks ----------------------------------------------------------------------

  protected override onSocketOpen(): void {
    this.markReady();
    for (const p of this.pending.values()) if (!p.sent) this.transmit(p);
  }

  protected onSocketFrame(data: string | ArrayBuffer): void {
    if (typeof data !== 'string') return;
    let msg: ChatMessage & { pong?: boolean };
    try {
      msg = JSON.parse(data);
    } catch {
      this.emitError(new ClientError('protocol', 'a frame that is not JSON'));
      return;
    }
    if (msg.pong === true || typeof msg.room !== 'string') return;
    const mine = msg.id === undefined ? undefined : this.pending.get(msg.id);
    if (mine?.sent) {
      this.pending.delete(mine.id);
      clearTimeout(mine.timer);
      mine.resolve(msg);
    }
    this.emit('message', msg);
  }

  protected onSocketLost(error: ClientError, final: boolean): void {
    for (const p of [...this.pending.values()]) {
      // Unsent ones wait for the next connection (unless this is the end).
      if (!p.sent && !final) continue;
      this.pending.delete(p.id);
      clearTimeout(p.timer);
      p.reject(p.sent ? error : this.closedError());
    }
  }

  private transmit(p: PendingSend): void {
    p.sent = true;
    if (!this.write(p.text)) p.sent = false;
  }

  private async api<T>(path: string): Promise<T> {
    let res: Response;
    try {
      res = await this.doFetch(`${this.httpBase}${path}`);
    } catch (err) {
      throw new ClientError('disconnected', `GET ${path} failed: ${String(err)}`, { cause: err });
    }
    const body = (await res.json().catch(() => ({}))) as { result?: T; error?: string };
    if (!res.ok || body.result === undefined) {
      throw new ClientError('server', body.error ?? `GET ${path} answered ${res.status}`, {
        code: String(res.status),
      });
    }
    return body.result;
  }
}
