// A scripted stand-in for the WebSocket class, for the SiteClient unit tests: the test plays the
// server (open, frames, closes) and reads what the client sent.
import type { WebSocketLike } from '../../src/client/types.js';

export class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  binaryType = 'blob';
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: Record<string, unknown>[] = [];
  closedWith: { code?: number; reason?: string } | undefined;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  static reset(): void {
    FakeSocket.instances = [];
  }

  static get last(): FakeSocket {
    const s = FakeSocket.instances.at(-1);
    if (!s) throw new Error('no socket was opened');
    return s;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    if (this.readyState >= 2) return;
    this.readyState = 3;
    this.onclose?.({ code: code ?? 1005, reason: reason ?? '' });
  }

  // ---- the server's side ----

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** Requests sent so far with the given name. */
  requests(name: string): { req_id: string; body: Record<string, unknown> }[] {
    return this.sent.filter((f) => f.request === name) as never;
  }

  ok(reqId: string): void {
    this.receive({ response: 'ok', req_id: reqId, body: null });
  }

  message(channel: string, ord: number, body: unknown): void {
    this.receive({ message: channel, ord, body });
  }
}

/** Resolve after the microtasks and timers already due have run (getAuth is awaited). */
export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Poll until `check` holds; fails after `ms`. */
export async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await tick(1);
  }
}
