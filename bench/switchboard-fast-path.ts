// Bench-only experiment: the two fast-path levers of ws-fast-path.ts applied to a running
// Switchboard by patching prototypes inside the server child, so their effect on the real hub and
// site dialect is measured before anyone changes src/. Never imported by the server itself.
//
// `cork`: every ClientSocket write holds its TCP socket corked until the end of the turn (all
// dialects). `preframed`: on top of that, the site dialect caches the complete WebSocket frame per
// publication (renderOnce) and writes it straight to the TCP socket. The pre-framed variant skips
// ClientSocket's slow-consumer check: a real implementation would keep it.

import { renderOnce } from '../src/core/render-cache.js';
import type { Publication } from '../src/core/types.js';
import { encodeMessage } from '../src/dialects/site/codec.js';
import { SiteSession } from '../src/dialects/site/session.js';
import { ClientSocket } from '../src/transport/client-socket.js';
import { rawSocket, TurnCorker, textFrame } from './ws-fast-path.js';

export type SwitchboardFastPath = 'cork' | 'preframed';

export function applyFastPath(kind: SwitchboardFastPath): void {
  const corker = new TurnCorker();
  const send = ClientSocket.prototype.send;
  ClientSocket.prototype.send = function (this: ClientSocket, data: string | Buffer, binary?: boolean) {
    if (this.open) corker.hold(rawSocket(this.ws));
    return send.call(this, data, binary);
  };
  if (kind === 'preframed') {
    const frameOf = (p: Publication) => textFrame(encodeMessage(p));
    SiteSession.prototype.deliver = function (this: SiteSession, p: Publication) {
      const socket = (this as unknown as { socket: ClientSocket }).socket;
      if (!socket.open) return false;
      const raw = rawSocket(socket.ws);
      corker.hold(raw);
      raw.write(renderOnce(p, 'site-frame', frameOf));
      return true;
    };
  }
}
