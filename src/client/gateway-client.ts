// GatewayClient: a thin reconnecting socket for the mesh gateway endpoint `/client`
// (docs/protocol/mesh.md, "Gateway clients"). The gateway has no protocol of its own: every
// frame goes to the backends' queue as is, and whatever backends send arrives as is. This adds
// the reconnect with backoff and jitter, `state` events and text/binary frames both ways.
import { ClientError } from './client-error.js';
import { ReconnectingSocket, type SocketEvents, type SocketOptions } from './reconnecting-socket.js';

export interface GatewayClientOptions extends SocketOptions {
  /** `ws://host:6789/client?site=NAME` (the server's `mesh.client_path`). */
  url: string;
}

export interface GatewayClientEvents extends SocketEvents {
  /** One frame from the backends: a string for a text frame, an ArrayBuffer for a binary one. */
  message: (data: string | ArrayBuffer) => void;
  /** A new connection is open (the first and each one after a reconnect): log in again here. */
  open: () => void;
}

export class GatewayClient extends ReconnectingSocket<GatewayClientEvents> {
  constructor(options: GatewayClientOptions) {
    super(options.url, options, 'GatewayClient');
  }

  /**
   * Send one frame: a string as a text frame, bytes as a binary frame. Throws a `disconnected`
   * ClientError when no connection is open (the gateway keeps no state to replay, so the
   * application decides what to resend after `open`).
   */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.state === 'closed') throw this.closedError();
    if (!this.ready || !this.write(data)) {
      throw new ClientError('disconnected', 'not connected: wait for the open event');
    }
  }

  protected override onSocketOpen(): void {
    this.markReady();
    this.emit('open');
  }

  protected onSocketFrame(data: string | ArrayBuffer): void {
    this.emit('message', data);
  }

  protected onSocketLost(): void {
    // Nothing in flight: the gateway answers nothing.
  }
}
