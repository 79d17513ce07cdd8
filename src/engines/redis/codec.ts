/**
 * How publications are written into Redis (history entries) and onto pub/sub (messages).
 *
 * Entry: the record `<ord> <time ms> <body>`, where body is the JSON object
 * `{"c":channel,"d":json | "b":base64,"e"?,"s"?,"i"?,"x"?}`. The publish script assigns ord and
 * time and writes them as decimal numbers in front of the body, so it never builds or edits JSON;
 * the history script reads the ord back from the record's start. Binary data travels as base64
 * under `b`, so a Buffer comes back a Buffer and a JSON string that happens to look like base64
 * stays a string.
 *
 * Message (pub/sub): `<head>\n<entry>`, head being the JSON object
 * `{"n":namespace,"r"?:request id,"f"?:node}`. `r`/`f` are set when the publisher wants delivery
 * counts: every receiving node answers node `f` (cluster/control-bus.ts). JSON.stringify never
 * writes a raw newline, so the first one ends the head.
 *
 * Release 0.1.0 spliced ord and time into the JSON (`{"o":ord,"t":ms,"c":…}`, and the message
 * `{"n":…,"p":entry}`); both are still read, so history written by it stays readable.
 */
import type { JsonValue, Publication, PublishInput } from '../../core/types.js';
import type { Envelope } from '../cluster/envelope.js';

interface Entry {
  o: number;
  t: number;
  c: string;
  d?: JsonValue;
  b?: string;
  e?: string;
  s?: string;
  i?: string;
  x?: string;
}

/** The entry's body: the publication without ord and time, as a JSON object. */
export function entryBody(channel: string, input: PublishInput): string {
  const entry: Omit<Entry, 'o' | 't'> = { c: channel };
  if (Buffer.isBuffer(input.data)) entry.b = input.data.toString('base64');
  else entry.d = input.data ?? null;
  if (input.event !== undefined) entry.e = input.event;
  if (input.sender !== undefined) entry.s = input.sender;
  if (input.id !== undefined) entry.i = input.id;
  if (input.except !== undefined) entry.x = input.except;
  return JSON.stringify(entry);
}

/** The message head: namespace and, when counts are wanted, the request to answer. */
export function envelopeHead(ns: string, countRequest?: { id: string; node: number }): string {
  return JSON.stringify(countRequest ? { n: ns, r: countRequest.id, f: countRequest.node } : { n: ns });
}

function publicationOf(e: Entry): Publication {
  const p: Publication = {
    channel: e.c,
    ord: e.o,
    time: e.t,
    data: e.b !== undefined ? Buffer.from(e.b, 'base64') : (e.d ?? null),
  };
  if (e.e !== undefined) p.event = e.e;
  if (e.s !== undefined) p.sender = e.s;
  if (e.i !== undefined) p.id = e.i;
  if (e.x !== undefined) p.except = e.x;
  return p;
}

/** Parse `<ord> <time> <body>` (or a 0.1.0 entry, which is JSON and starts with `{`). */
function parseEntry(raw: string, from = 0): Entry {
  if (raw.charCodeAt(from) === 123 /* { */) return JSON.parse(from === 0 ? raw : raw.slice(from)) as Entry;
  const a = raw.indexOf(' ', from);
  const b = raw.indexOf(' ', a + 1);
  if (a < 0 || b < 0) throw new Error('malformed history entry');
  const e = JSON.parse(raw.slice(b + 1)) as Entry;
  e.o = Number(raw.slice(from, a));
  e.t = Number(raw.slice(a + 1, b));
  return e;
}

export function decodeEntry(raw: string): Publication {
  return publicationOf(parseEntry(raw));
}

export function decodeEnvelope(raw: string): Envelope {
  const nl = raw.indexOf('\n');
  let m: { n: string; r?: string; f?: number; p: Entry };
  if (nl < 0)
    m = JSON.parse(raw) as typeof m; // a 0.1.0 node's message
  else {
    m = JSON.parse(raw.slice(0, nl)) as typeof m;
    m.p = parseEntry(raw, nl + 1);
  }
  const env: Envelope = { ns: m.n, publication: publicationOf(m.p) };
  if (m.r !== undefined && m.f !== undefined) env.countRequest = { id: m.r, node: m.f };
  return env;
}
