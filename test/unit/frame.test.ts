import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  encodeFrame,
  framePayload,
  headerLength,
  isBinaryFrame,
  textFrame,
} from '../../src/transport/frame.js';

// ws's own frame parser (untyped in @types/ws): a client-side Receiver expects unmasked frames,
// exactly what a server sends.
type ReceiverCtor = new (options: { isServer: boolean; maxPayload: number }) => Writable;
const Receiver = (createRequire(import.meta.url)('ws') as { Receiver: ReceiverCtor }).Receiver;

interface Parsed {
  data: Buffer;
  binary: boolean;
}

/** Feed `bytes` to a ws Receiver in `chunk`-byte pieces; resolve with the messages it emits. */
function parseWithWs(bytes: Buffer, chunk = bytes.length || 1): Promise<Parsed[]> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    const out: Parsed[] = [];
    receiver.on('message', (data: Buffer, binary: boolean) => out.push({ data, binary }));
    receiver.on('error', reject);
    for (let i = 0; i < bytes.length; i += chunk) receiver.write(bytes.subarray(i, i + chunk));
    // The Receiver parses synchronously as each chunk is written.
    setImmediate(() => resolve(out));
  });
}

/** RFC 6455 §5.2 by hand, independent of frame.ts: FIN, opcode, mask bit, length, payload. */
function parseByHand(frame: Buffer): { fin: boolean; opcode: number; masked: boolean; payload: Buffer } {
  const fin = (frame[0]! & 0x80) !== 0;
  assert.equal(frame[0]! & 0x70, 0, 'RSV bits clear');
  const opcode = frame[0]! & 0x0f;
  const masked = (frame[1]! & 0x80) !== 0;
  let length = frame[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    length = Number(frame.readBigUInt64BE(2));
    offset = 10;
  }
  assert.equal(frame.length, offset + length, 'frame holds exactly its payload');
  return { fin, opcode, masked, payload: frame.subarray(offset) };
}

const LENGTHS = [0, 1, 125, 126, 127, 65535, 65536, 70000] as const;

function payloadOf(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = 0x61 + (i % 26); // a…z, valid UTF-8
  return out;
}

describe('pre-framed WebSocket frames', () => {
  for (const length of LENGTHS) {
    it(`a text frame of ${length} payload bytes parses back with ws's Receiver and by hand`, async () => {
      const payload = payloadOf(length);
      const frame = textFrame(payload);
      assert.equal(frame.length, headerLength(length) + length);
      const byHand = parseByHand(frame);
      assert.deepEqual(byHand, { fin: true, opcode: 1, masked: false, payload });
      const messages = await parseWithWs(frame);
      assert.equal(messages.length, 1);
      assert.equal(messages[0]!.binary, false);
      assert.ok(messages[0]!.data.equals(payload));
      assert.ok(framePayload(frame).equals(payload));
      assert.equal(isBinaryFrame(frame), false);
    });
  }

  it('header lengths switch at 126 and 65536 payload bytes', () => {
    assert.deepEqual(
      LENGTHS.map((n) => headerLength(n)),
      [2, 2, 2, 4, 4, 4, 10, 10],
    );
  });

  it('a binary frame carries opcode 2 and its bytes unchanged', async () => {
    const payload = Buffer.from([0x00, 0xff, 0x80, 0x7f, 0xc3]); // not valid UTF-8
    const frame = encodeFrame(payload, true);
    assert.deepEqual(parseByHand(frame), { fin: true, opcode: 2, masked: false, payload });
    assert.equal(isBinaryFrame(frame), true);
    const [message] = await parseWithWs(frame);
    assert.equal(message!.binary, true);
    assert.ok(message!.data.equals(payload));
  });

  it('a string rendering is UTF-8 encoded once', async () => {
    const text = '{"data":"héllo ✓ 😀"}';
    const [message] = await parseWithWs(textFrame(text));
    assert.equal(message!.data.toString('utf8'), text);
  });

  it('frames written back to back and split across reads parse in order', async () => {
    const frames = LENGTHS.map((n) => textFrame(payloadOf(n)));
    const messages = await parseWithWs(Buffer.concat(frames), 1000);
    assert.deepEqual(
      messages.map((m) => m.data.length),
      [...LENGTHS],
    );
  });
});
