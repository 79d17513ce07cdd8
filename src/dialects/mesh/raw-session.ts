import { renderOnce } from '../../core/render-cache.js';
import type { Publication } from '../../core/types.js';
import { encodeFrame } from '../../transport/frame.js';
import { DialectSession } from '../kit/session.js';
import { renderRawFrame } from './codec.js';

const RENDER_KEY = 'mesh.raw';

/** The raw rendering as one complete WebSocket frame (binary publications as binary frames). */
function renderFrame(p: Publication): Buffer {
  const raw = renderRawFrame(p);
  return encodeFrame(raw.data, raw.binary);
}

/**
 * A mesh connection, a backend on /ws/v1 or a gateway client: publications of its channels and
 * mesh.send data arrive as raw frames (docs/architecture.md).
 */
export abstract class RawSession extends DialectSession {
  deliver(p: Publication): boolean {
    return this.socket.sendFrame(renderOnce(p, RENDER_KEY, renderFrame));
  }
}
