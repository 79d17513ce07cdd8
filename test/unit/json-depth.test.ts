// The nesting guard (src/core/json-depth.ts) and the places that use it without a socket:
// readJson, Hub.publish and the config key limits.max_json_depth.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/app/config-schema.js';
import { HubError, HubErrorCode } from '../../src/core/errors.js';
import { Hub } from '../../src/core/hub.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../src/core/json-depth.js';
import { decodeRequest as decodeMesh } from '../../src/dialects/mesh/codec.js';
import { decodeFrame as decodeRocket } from '../../src/dialects/rocket/codec.js';
import { decodeRequest as decodeSite } from '../../src/dialects/site/codec.js';
import { MemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { readJson } from '../../src/transport/http-util.js';

/** `[[…"x"…]]`, `depth` levels, built without recursion. */
function nestedArray(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function requestOf(body: string): IncomingMessage {
  const req = Readable.from([Buffer.from(body)]) as unknown as IncomingMessage;
  (req as { headers: Record<string, string> }).headers = {};
  return req;
}

describe('jsonDepthExceeds', () => {
  it('counts containers on the deepest path: a scalar is 0, [] and {} are 1', () => {
    for (const scalar of [null, 1, 'deep', true]) assert.equal(jsonDepthExceeds(scalar, 0), false);
    assert.equal(jsonDepthExceeds([], 0), true);
    assert.equal(jsonDepthExceeds({}, 1), false);
    assert.equal(jsonDepthExceeds({ a: [1] }, 2), false);
    assert.equal(jsonDepthExceeds({ a: [1] }, 1), true);
    // The deep path is found wherever it is, not only in the first or last branch.
    assert.equal(jsonDepthExceeds([1, { b: [[{}]] }, 'x'], 4), true);
    assert.equal(jsonDepthExceeds([1, { b: [[{}]] }, 'x'], 5), false);
    assert.equal(jsonDepthExceeds(JSON.parse('{"__proto__":[[1]]}'), 2), true);
    assert.equal(jsonDepthExceeds(JSON.parse('{"__proto__":[[1]]}'), 3), false);
  });

  it('is exact at the limit', () => {
    assert.equal(jsonDepthExceeds(nestedArray(MAX_JSON_DEPTH), MAX_JSON_DEPTH), false);
    assert.equal(jsonDepthExceeds(nestedArray(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH), true);
  });

  it('walks a million levels without overflowing the stack', () => {
    const deep = nestedArray(1_000_000);
    assert.equal(jsonDepthExceeds(deep, MAX_JSON_DEPTH), true);
    assert.equal(jsonDepthExceeds(deep, 2_000_000), false);
  });

  it('treats bytes (a binary publication) as a leaf, and ends on a cycle', () => {
    assert.equal(jsonDepthExceeds(Buffer.alloc(100), 0), false);
    assert.equal(jsonDepthExceeds({ d: Buffer.alloc(100) }, 1), false);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.equal(jsonDepthExceeds(cycle, MAX_JSON_DEPTH), true);
  });
});

describe('entry points honour a configured depth', () => {
  it('the codecs take the limit as a parameter', () => {
    const frame = '{"request":"unsubscribe","req_id":"r","body":{"channel":"c","x":[[1]]}}';
    assert.equal(decodeSite(frame, 4).ok, true);
    const refused = decodeSite(frame, 3);
    assert.ok(!refused.ok);
    assert.equal(refused.error.message, 'request is nested too deeply (max 3 levels)');
    assert.equal(refused.error.reqId, 'r');
    const mesh = decodeMesh('{"m":"mesh.publish","p":{"c":"c","d":[1]},"i":"m1"}', 2);
    assert.deepEqual(mesh.ok ? null : [mesh.id, mesh.error.code, mesh.error.message], [
      'm1',
      101,
      'request is nested too deeply (max 2 levels)',
    ]);
    const rocket = decodeRocket('{"disconnect":{"a":{}}}', { authenticated: false, can: () => false }, 2);
    assert.deepEqual(rocket.ok ? null : rocket.error, {
      err: 'INVALID_PAYLOAD',
      additional_info: 'message is nested too deeply (max 2 levels)',
    });
  });

  it('readJson answers 400 for a body deeper than the limit, and reads one at the limit', async () => {
    const body = JSON.stringify({ message: nestedArray(63) });
    assert.deepEqual(await readJson(requestOf(body), 1 << 20), {
      ok: true,
      value: JSON.parse(body),
      text: body,
    });
    const deeper = JSON.stringify({ message: nestedArray(64) });
    assert.deepEqual(await readJson(requestOf(deeper), 1 << 20), {
      ok: false,
      status: 400,
      message: 'request body is nested too deeply (max 64 levels)',
    });
    assert.deepEqual(await readJson(requestOf('[[[1]]]'), 1 << 20, 2), {
      ok: false,
      status: 400,
      message: 'request body is nested too deeply (max 2 levels)',
    });
  });

  it('Hub.publish refuses deeper data with HubError invalid_data and stores nothing', async () => {
    const hub = new Hub(
      new MemoryEngine(1),
      new Map([['ns', { name: 'ns', historySize: 10, topicSize: 10, topicBytes: 1 << 20, maxTopics: 5 }]]),
    );
    await hub.start();
    await assert.rejects(
      hub.publish('ns', 'c', { data: nestedArray(MAX_JSON_DEPTH + 1) as never }),
      (err) =>
        err instanceof HubError &&
        err.code === HubErrorCode.invalidData &&
        err.message === `data is nested too deeply (max ${MAX_JSON_DEPTH} levels)`,
    );
    const shallow = new Hub(
      new MemoryEngine(2),
      new Map([['ns', { name: 'ns', historySize: 10, topicSize: 10, topicBytes: 1 << 20, maxTopics: 5 }]]),
      { maxJsonDepth: 2 },
    );
    await shallow.start();
    await assert.rejects(shallow.publish('ns', 'c', { data: [[[1]]] }), HubError);
    await shallow.publish('ns', 'c', { data: [[1]] });
    await shallow.publish('ns', 'c', { data: Buffer.from('bytes') as never });
    const { publications } = await shallow.history('ns', 'c', { last: 10 });
    assert.deepEqual(
      publications.map((p) => p.data),
      [[[1]], Buffer.from('bytes')],
    );
  });

  it('limits.max_json_depth defaults to 64 and accepts 1 to 1,000', () => {
    assert.equal(configSchema.parse({}).limits.max_json_depth, 64);
    assert.equal(configSchema.parse({ limits: { max_json_depth: 8 } }).limits.max_json_depth, 8);
    for (const bad of [0, 1001, 'deep', 2.5]) {
      const result = configSchema.safeParse({ limits: { max_json_depth: bad } });
      assert.ok(!result.success, `${bad} refused`);
      assert.deepEqual(result.error.issues[0]?.path, ['limits', 'max_json_depth']);
    }
  });
});
