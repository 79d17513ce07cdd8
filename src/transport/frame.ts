/**
 * Pre-framed server→client WebSocket messages (RFC 6455 §5.2). A server never masks, so the bytes
 * of a frame are the same for every receiver: a publication's rendering is framed once and that
 * one Buffer is written to every subscriber's TCP socket (`ClientSocket.sendFrame`), skipping the
 * per-receiver header, write pair and cork/uncork that `ws.send` costs.
 *
 * A frame made here is always final (FIN), unfragmented, uncompressed (RSV1 clear — valid only
 * because the listener turns permessage-deflate off) and carries its kind in the opcode, so the
 * Buffer alone says everything needed to fall back to `ws.send` (`framePayload`, `isBinaryFrame`).
 */

export const Opcode = { text: 1, binary: 2 } as const;

/** Bytes of header before a payload of `length` bytes: 2, 4 (16-bit length) or 10 (64-bit). */
export function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/** A complete final, unmasked frame carrying `payload` (text unless `binary`). */
export function encodeFrame(payload: Buffer, binary = false): Buffer {
  const length = payload.length;
  const offset = headerLength(length);
  const frame = Buffer.allocUnsafe(offset + length);
  frame[0] = 0x80 | (binary ? Opcode.binary : Opcode.text);
  if (offset === 2) {
    frame[1] = length;
  } else if (offset === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    // Buffers are far below 2^53 bytes: the high word is always 0.
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, offset);
  return frame;
}

/** A text frame of a string or Buffer rendering (strings are UTF-8 encoded once here). */
export function textFrame(payload: string | Buffer): Buffer {
  return encodeFrame(typeof payload === 'string' ? Buffer.from(payload) : payload, false);
}

/** Was `frame` (made by `encodeFrame`) a binary frame? */
export function isBinaryFrame(frame: Buffer): boolean {
  return (frame[0]! & 0x0f) === Opcode.binary;
}

/** The payload of `frame` (made by `encodeFrame`), as a view: no copy. */
export function framePayload(frame: Buffer): Buffer {
  const code = frame[1]! & 0x7f;
  return frame.subarray(code < 126 ? 2 : code === 126 ? 4 : 10);
}
