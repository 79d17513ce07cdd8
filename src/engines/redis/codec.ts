/**
 * How publications are written into Redis (history entries) and onto pub/sub (envelopes).
 *
 * Entry: `{"o":ord,"t":ms,"c":channel,"d":json | "b":base64,"e"?,"s"?,"i"?,"x"?}` — `o` and `t` come
 * first because the publish script writes them (it assigns both) and the history script reads the
 * ord back from the entry's start. Binary data travels as base64 under `b`, so a Buffer comes back
 * a Buffer and a JSON string that happens to look like base64 stays a string.
 *
 * Envelope (pub/sub message): `{"n":namespace,"r"?:request id,"f"?:node,"p":entry}`. `r`/`f` are
 * set when the publisher wants delivery counts: every receiving node answers node `f` (control.ts).
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

/** The entry's fields after `o` and `t`, without braces (the script wraps them). */
export function entryBody(channel: string, input: PublishInput): string {
  const entry: Omit<Entry, 'o' | 't'> = { c: channel };
  if (Buffer.isBuffer(input.data)) entry.b = input.data.toString('base64');
  else entry.d = input.data ?? null;
  if (input.event !== undefined) entry.e = input.event;
  if (input.sender !== undefined) entry.s = input.sender;
  if (input.id !== undefined) entry.i = input.id;
  if (input.except !== undefined) entry.x = input.except;
  return JSON.stringify(entry).slice(1, -1);
}

/** The envelope up to (not including) the entry; the script appends the entry and a `}`. */
export function envelopeHead(ns: string, countRequest?: { id: string; node: number }): string {
  const r = countRequest ? `"r":${JSON.stringify(countRequest.id)},"f":${countRequest.node},` : '';
  return `{"n":${JSON.stringify(ns)},${r}"p":`;
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

export function decodeEntry(raw: string): Publication {
  return publicationOf(JSON.parse(raw) as Entry);
}

export function decodeEnvelope(raw: string): Envelope {
  const m = JSON.parse(raw) as { n: string; r?: string; f?: number; p: Entry };
  const env: Envelope = { ns: m.n, publication: publicationOf(m.p) };
  if (m.r !== undefined && m.f !== undefined) env.countRequest = { id: m.r, node: m.f };
  return env;
}
