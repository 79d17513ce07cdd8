import { WebSocket } from 'ws';
import { transportCounters } from './limits.js';

export interface SocketLimits {
  /** Past this many bytes waiting in the socket, the client is closed as a slow consumer. */
  maxOutboundBytes: number;
}

/**
 * How long a close handshake may take before the socket is cut. A slow consumer's close frame
 * waits behind everything already buffered for it, and a client that never reads never answers:
 * without this cut its socket (and the buffered bytes) would stay until TCP gives up.
 */
const CLOSE_GRACE_MS = 3000;

/**
 * The write side of a client WebSocket, shared by every dialect: bounded outbound buffer (a
 * client that falls behind gets 1013 "slow consumer" instead of growing our memory) and a close
 * that cannot hang. Writes never throw; they return false when the frame was not queued.
 */
export class ClientSocket {
  private closing = false;

  constructor(
    readonly ws: WebSocket,
    private readonly limits: SocketLimits,
  ) {}

  get open(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  send(data: string | Buffer, binary = false): boolean {
    if (!this.open) return false;
    if (this.ws.bufferedAmount > this.limits.maxOutboundBytes) {
      transportCounters.slowConsumers++;
      this.close(1013, 'slow consumer');
      return false;
    }
    this.ws.send(data, { binary });
    return true;
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
      return;
    }
    const timer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    this.ws.once('close', () => clearTimeout(timer));
  }
}
