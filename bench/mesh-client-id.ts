// What reading client ids exactly costs on the mesh request path: the decode of one `mesh.send`
// request (WebSocket frame → typed call, `decodeRequest`) and of one `POST /v1/mesh/send` body
// (JSON.parse + the route's param parser), timed in one process, interleaved round by round:
//
//   node dist/bench/mesh-client-id.js [--baseline OLD/dist/src/dialects/mesh/codec.js] [--rounds 9] [--ops 200000]
//
// - "string id": what every backend sent until now, `"c":"2128663754320121856"`;
// - "number id": what the CONNMIX PHP SDK sends, `"c":2128663754320121856` (read from the digits);
// - with --baseline, the same string-id decode through an older build of the codec (build the
//   older commit into its own folder), so "before" and "after" are measured in the same run.
// Prints the median ns per request over the rounds, and each variant's ratio to the first.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeRequest, exactClientId, parseSendParams } from '../src/dialects/mesh/codec.js';

type Decode = (text: string) => unknown;

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    rounds: { type: 'string', default: '9' },
    ops: { type: 'string', default: '200000' },
  },
});
const rounds = Number(values.rounds);
const ops = Number(values.ops);

const ID = '2128663754320121856';
const WS_STRING = `{"m":"mesh.send","p":{"c":"${ID}","d":"received: hello"},"i":2}`;
const WS_NUMBER = `{"m":"mesh.send","p":{"c":${ID},"d":"received: hello"},"i":2}`;
const HTTP_STRING = `{"c":"${ID}","d":"received: hello"}`;
const HTTP_NUMBER = `{"c":${ID},"d":"received: hello"}`;

// The HTTP route's parse step as src/dialects/mesh/http-routes.ts runs it after readJson.
function httpNow(text: string): unknown {
  const body = JSON.parse(text) as { c?: unknown };
  if (typeof body.c === 'number') body.c = exactClientId(text, ['c']);
  return parseSendParams(body);
}

async function variants(): Promise<[string, Decode, string][]> {
  const out: [string, Decode, string][] = [];
  if (values.baseline) {
    const old = (await import(pathToFileURL(values.baseline).href)) as {
      decodeRequest: Decode;
      parseSendParams: Decode;
    };
    out.push(['ws: string id, baseline build', old.decodeRequest, WS_STRING]);
    out.push(['http: string id, baseline build', (t) => old.parseSendParams(JSON.parse(t)), HTTP_STRING]);
  }
  out.push(['ws: string id', decodeRequest, WS_STRING]);
  out.push(['ws: number id', decodeRequest, WS_NUMBER]);
  out.push(['http: string id', httpNow, HTTP_STRING]);
  out.push(['http: number id', httpNow, HTTP_NUMBER]);
  return out;
}

function time(decode: Decode, text: string): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) if (decode(text)) sink++;
  const ns = Number(process.hrtime.bigint() - start) / ops;
  if (sink !== ops) throw new Error('a decode returned nothing');
  return ns;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const list = await variants();
// Every variant must decode to the same call: a bench of a broken path would be meaningless.
for (const [name, decode, text] of list) {
  const r = decode(text) as { ok?: boolean; call?: { client?: string }; client?: string };
  const client = r.call?.client ?? r.client;
  if (client !== ID) throw new Error(`${name} decoded client ${client}, expected ${ID}`);
}
for (const [, decode, text] of list) time(decode, text); // warm-up round, not counted
const samples = list.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  for (const [i, [, decode, text]] of list.entries()) samples[i]!.push(time(decode, text));
}

console.log(`mesh.send decode, median of ${rounds} rounds × ${ops} requests (Node ${process.version})`);
console.log('| variant | ns/request | × first of its transport |');
console.log('|---|---|---|');
const firstOf = new Map<string, number>();
list.forEach(([name], i) => {
  const ns = median(samples[i]!);
  const transport = name.split(':')[0]!;
  if (!firstOf.has(transport)) firstOf.set(transport, ns);
  console.log(`| ${name} | ${ns.toFixed(0)} | ${(ns / firstOf.get(transport)!).toFixed(2)}× |`);
});
