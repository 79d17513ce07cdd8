/**
 * The mesh wire format (docs/protocol/mesh.md), pure: text in, typed calls out; results, errors and events in,
 * envelopes out. No sockets, no hub.
 *
 * Requests  `{"m": METHOD, "p": {...}, "i": ID}` (the original protocol's `"id"` typo is read as `i`).
 * Replies   `{"E": null, "r": {...}, "i": ID}` or `{"E": {"c": CODE, "m": "..."}, "i": ID}`;
 *           over HTTP the same without `i`; over WebSocket `i` is null when the request had none.
 * Events    `{"e": NAME, "p": {...}, "id": null}`.
 */
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { jsonDepthExceeds, MAX_JSON_DEPTH, tooDeepMessage } from '../../core/json-depth.js';
import type { JsonValue, Publication, QueueItem } from '../../core/types.js';
import { MeshError, MeshErrorCode } from './errors.js';

export const MeshMethod = {
  send: 'mesh.send',
  publish: 'mesh.publish',
  pop: 'queue.pop',
  unpop: 'queue.unpop',
  call: 'conn.call',
} as const;
export type MeshMethod = (typeof MeshMethod)[keyof typeof MeshMethod];
const METHODS = new Set<string>(Object.values(MeshMethod));

/** A request id as the backend gave it; null when it gave none (or one we could not read). */
export type RequestId = number | string | null;

/** `mesh.send`: `data` is the text to send, or the decoded bytes when `binary`. */
export interface SendCall {
  method: typeof MeshMethod.send;
  client: string;
  data: string | Buffer;
  binary: boolean;
}
/** `mesh.publish`: `data` is the JSON value as given, or the decoded bytes for `t: "binary"`. */
export interface PublishCall {
  method: typeof MeshMethod.publish;
  channel: string;
  data: JsonValue | Buffer;
}
export interface PopCall {
  method: typeof MeshMethod.pop;
  topics: string[];
}
export interface UnpopCall {
  method: typeof MeshMethod.unpop;
}
export interface ConnCall {
  method: typeof MeshMethod.call;
  client: string;
  fn: string;
  args: JsonValue[];
}
export type MeshCall = SendCall | PublishCall | PopCall | UnpopCall | ConnCall;

export type DecodedRequest =
  | { ok: true; id: RequestId; call: MeshCall }
  | { ok: false; id: RequestId; error: MeshError };

type Params = { [key: string]: JsonValue | undefined };

const invalid = (message: string) => new MeshError(MeshErrorCode.invalidParams, message);

function isObject(v: unknown): v is Params {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Decode one WebSocket text frame. Never throws: every failure is a 101 with whatever id was
 * readable. A request nested deeper than `maxDepth` (limits.max_json_depth) is refused before
 * its method is read.
 */
export function decodeRequest(text: string, maxDepth: number = MAX_JSON_DEPTH): DecodedRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, id: null, error: invalid('request is not valid JSON') };
  }
  if (!isObject(value))
    return { ok: false, id: null, error: invalid('a request is a JSON object {"m", "p", "i"}') };
  const rawId = value.i !== undefined ? value.i : value.id;
  let id: RequestId = null;
  if (typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId))) id = rawId;
  // Checked once the id is known so the refusal carries it (a deep `i` is not an id: null).
  if (jsonDepthExceeds(value, maxDepth)) {
    return { ok: false, id, error: invalid(tooDeepMessage('request', maxDepth)) };
  }
  if (id === null && rawId !== undefined && rawId !== null) {
    return { ok: false, id: null, error: invalid('"i" must be a number or a string') };
  }
  // The PHP SDK of CONNMIX (the WebSocket gateway whose API this is) types client ids as int (connmix-php src/V1/AsyncNode.php): read them exactly.
  const p = value.p;
  if (
    isObject(p) &&
    typeof p.c === 'number' &&
    (value.m === MeshMethod.send || value.m === MeshMethod.call)
  ) {
    p.c = exactClientId(text, ['p', 'c']);
  }
  try {
    return { ok: true, id, call: parseCall(value.m, p) };
  } catch (err) {
    if (err instanceof MeshError) return { ok: false, id, error: err };
    throw err;
  }
}

/** Validate a method name and its params into a typed call (throws MeshError 101). */
export function parseCall(method: unknown, params: unknown): MeshCall {
  if (typeof method !== 'string' || method === '') throw invalid('"m" (the method name) is required');
  if (!METHODS.has(method)) throw invalid(`unknown method "${method}"`);
  const p = paramsOf(method, params);
  if (!isObject(p)) throw invalid('"p" must be an object');
  switch (method as MeshMethod) {
    case MeshMethod.send:
      return parseSendParams(p);
    case MeshMethod.publish:
      return parsePublishParams(p);
    case MeshMethod.pop:
      return { method: MeshMethod.pop, topics: stringList(p.t, 't', 'topic names') };
    case MeshMethod.unpop:
      return { method: MeshMethod.unpop };
    case MeshMethod.call: {
      const client = clientId(p.c);
      if (typeof p.f !== 'string' || p.f === '')
        throw invalid('"f" (the function name) must be a non-empty string');
      if (!Array.isArray(p.a)) throw invalid('"a" (the arguments) must be an array');
      return { method: MeshMethod.call, client, fn: p.f, args: p.a };
    }
  }
}

/**
 * PHP's json_encode writes an empty array as `[]` and a list as `[...]`, so the SDK sends
 * `"p":[]` for a call without params and `"p":["topic", ...]` from `pop(...$topics)`
 * (connmix-php src/V1/AsyncNode.php): read those as `{}` and as `{"t": [...]}`.
 */
function paramsOf(method: string, params: unknown): unknown {
  if (params === undefined) return {};
  if (!Array.isArray(params)) return params;
  if (method === MeshMethod.pop) return { t: params };
  return params.length === 0 ? {} : params;
}

/**
 * The exact digits of a client id that the request wrote as a JSON number. JSON.parse has already
 * rounded it to a double (64-bit ids need more than its 53 bits), so the text is parsed again,
 * losslessly, for this one value; requests with a string id never take this path. Returns the
 * digits of a non-negative integer written in plain digits, else the number as JSON.parse read it
 * (refused by clientId with 101). `path` leads from the top of `text` to `c`.
 */
export function exactClientId(text: string, path: readonly string[]): string | number {
  let value: unknown;
  try {
    value = parseLossless(text);
  } catch {
    // JSON.parse took it, lossless-json did not (a duplicate key): nothing exact to read.
    return Number.NaN;
  }
  for (const key of path) value = isObject(value) ? (value as Record<string, unknown>)[key] : undefined;
  if (!isLosslessNumber(value)) return Number.NaN;
  return /^[0-9]+$/.test(value.value) ? value.value : Number(value.value);
}

/**
 * `{c, d, t?}` of mesh.send (WebSocket params or the HTTP body). Text `d` that is not a string is
 * sent as its JSON text, as a publication would be rendered for a gateway client (docs/architecture.md).
 */
export function parseSendParams(p: unknown): SendCall {
  if (!isObject(p)) throw invalid('the request body must be a JSON object {"c", "d", "t"}');
  const client = clientId(p.c);
  const binary = isBinary(p.t);
  if (p.d === undefined) throw invalid('"d" (the data) is required');
  if (binary) return { method: MeshMethod.send, client, data: base64Data(p.d), binary };
  return {
    method: MeshMethod.send,
    client,
    data: typeof p.d === 'string' ? p.d : JSON.stringify(p.d),
    binary,
  };
}

/** `{c, d, t?}` of mesh.publish: `c` is the channel, `d` any JSON value (base64 text for binary). */
export function parsePublishParams(p: unknown): PublishCall {
  if (!isObject(p)) throw invalid('the request body must be a JSON object {"c", "d", "t"}');
  if (typeof p.c !== 'string' || p.c === '') throw invalid('"c" (the channel) must be a non-empty string');
  const binary = isBinary(p.t);
  if (p.d === undefined) throw invalid('"d" (the data) is required');
  return { method: MeshMethod.publish, channel: p.c, data: binary ? base64Data(p.d) : p.d };
}

function clientId(c: JsonValue | undefined): string {
  if (typeof c === 'string' && c !== '') return c;
  if (typeof c === 'number') {
    // Integers arrive here as digit strings (exactClientId); what is left is not a client id.
    throw invalid('"c" (the client_id) must be a non-negative integer or a string of its digits');
  }
  throw invalid('"c" (the client_id) must be a non-empty string or an integer');
}

function isBinary(t: JsonValue | undefined): boolean {
  if (t === undefined || t === null || t === 'text') return false;
  if (t === 'binary') return true;
  throw invalid('"t" must be "text" or "binary"');
}

function stringList(v: JsonValue | undefined, key: string, what: string): string[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) {
    throw invalid(`"${key}" must be a non-empty array of ${what}`);
  }
  return v as string[];
}

/** Standard base64; padding may be left out, anything else (URL alphabet, spaces) is refused. */
export function decodeBase64(s: string): Buffer | undefined {
  const m = /^([A-Za-z0-9+/]*)(={0,2})$/.exec(s);
  if (!m) return undefined;
  const body = m[1]!;
  const pad = m[2]!.length;
  if (body.length % 4 === 1) return undefined;
  if (pad > 0 && (body.length + pad) % 4 !== 0) return undefined;
  return Buffer.from(body, 'base64');
}

function base64Data(d: JsonValue | undefined): Buffer {
  const bytes = typeof d === 'string' ? decodeBase64(d) : undefined;
  if (!bytes) throw invalid('"d" must be base64 text when "t" is "binary"');
  return bytes;
}

// ---- encoders --------------------------------------------------------------------------------

export interface ResultEnvelope {
  E: null;
  r: Record<string, JsonValue>;
  i?: RequestId;
}
export interface ErrorEnvelope {
  E: { c: MeshErrorCode; m: string };
  i?: RequestId;
}

/** A success reply; `id` undefined leaves `i` out (HTTP). */
export function resultEnvelope(r: Record<string, JsonValue>, id?: RequestId): ResultEnvelope {
  return id === undefined ? { E: null, r } : { E: null, r, i: id };
}

/** An error reply, shaped as the original protocol shows it: no `r`. */
export function errorEnvelope(err: MeshError, id?: RequestId): ErrorEnvelope {
  const E = { c: err.code, m: err.message };
  return id === undefined ? { E } : { E, i: id };
}

/** The `queue.pop` event a consumer receives for one item. */
export function encodeQueueEvent(item: QueueItem): string {
  return JSON.stringify({
    e: 'queue.pop',
    p: { n: item.node, c: item.client, t: item.topic, d: item.data },
    id: null,
  });
}

/**
 * A publication as a gateway client sees it (docs/architecture.md): the data itself as a raw frame: bytes as a
 * binary frame, a string as its text, any other JSON value as its JSON text. Text is encoded to a
 * Buffer once so that every receiver's `send` reuses the same bytes.
 */
export function renderRawFrame(p: Publication): { data: Buffer; binary: boolean } {
  if (Buffer.isBuffer(p.data)) return { data: p.data, binary: true };
  const text = typeof p.data === 'string' ? p.data : JSON.stringify(p.data);
  return { data: Buffer.from(text, 'utf8'), binary: false };
}
