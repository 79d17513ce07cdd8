import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Publication } from '../../src/core/types.js';
import {
  decodeBase64,
  decodeRequest,
  encodeQueueEvent,
  errorEnvelope,
  parsePublishParams,
  parseSendParams,
  renderRawFrame,
  resultEnvelope,
} from '../../src/dialects/mesh/codec.js';
import { MeshError, MeshErrorCode } from '../../src/dialects/mesh/errors.js';

const ok = (text: string) => {
  const d = decodeRequest(text);
  assert.ok(d.ok, `expected ${text} to decode, got ${!d.ok && d.error.message}`);
  return d;
};
const fails = (text: string) => {
  const d = decodeRequest(text);
  assert.ok(!d.ok, `expected ${text} to fail`);
  return d;
};
const CLIENT = '1463786910324359168';

describe('mesh codec: requests', () => {
  it('decodes every method of the original protocol into a typed call', () => {
    assert.deepEqual(ok(`{"m":"mesh.send","p":{"c":"${CLIENT}","d":"data"},"i":12345}`), {
      ok: true,
      id: 12345,
      call: { method: 'mesh.send', client: CLIENT, data: 'data', binary: false },
    });
    assert.deepEqual(ok('{"m":"mesh.publish","p":{"c":"channel1","d":{"x":1}},"i":1}').call, {
      method: 'mesh.publish',
      channel: 'channel1',
      data: { x: 1 },
    });
    assert.deepEqual(ok('{"m":"queue.pop","p":{"t":["topic1"]},"i":1}').call, {
      method: 'queue.pop',
      topics: ['topic1'],
    });
    assert.deepEqual(ok('{"m":"queue.unpop","p":{},"i":1}').call, { method: 'queue.unpop' });
    assert.deepEqual(ok('{"m":"queue.unpop","i":1}').call, { method: 'queue.unpop' }, 'p may be left out');
    assert.deepEqual(
      ok(`{"m":"conn.call","p":{"c":"${CLIENT}","f":"set_context_value","a":["user_id",10000]},"i":1}`).call,
      {
        method: 'conn.call',
        client: CLIENT,
        fn: 'set_context_value',
        args: ['user_id', 10000],
      },
    );
  });

  it('reads i as given, the original protocol’s "id" typo as i, and prefers i when both are there', () => {
    const p = '"m":"queue.unpop","p":{}';
    assert.equal(ok(`{${p},"i":7}`).id, 7);
    assert.equal(ok(`{${p},"i":"req-7"}`).id, 'req-7');
    assert.equal(ok(`{${p},"id":12345}`).id, 12345);
    assert.equal(ok(`{${p},"i":1,"id":2}`).id, 1);
    assert.equal(ok(`{${p}}`).id, null);
    assert.equal(ok(`{${p},"i":null}`).id, null);
    const bad = fails(`{${p},"i":{"x":1}}`);
    assert.equal(bad.id, null);
    assert.equal(bad.error.code, MeshErrorCode.invalidParams);
  });

  it('answers 101 for invalid JSON and non-objects without an id, and for a bad method with it', () => {
    for (const text of ['', '{', 'ping!', '[]', '"x"', '42', 'null']) {
      const d = fails(text);
      assert.equal(d.id, null, text);
      assert.equal(d.error.code, 101);
    }
    for (const text of [
      '{"p":{},"i":3}',
      '{"m":"","i":3}',
      '{"m":42,"i":3}',
      '{"m":"mesh.nope","i":3}',
      '{"m":"mesh.send","p":"x","i":3}',
    ]) {
      const d = fails(text);
      assert.equal(d.id, 3, text);
      assert.equal(d.error.code, 101, text);
    }
    assert.match(fails('{"m":"mesh.nope","i":3}').error.message, /unknown method "mesh.nope"/);
  });

  it('conn.call needs c, a non-empty f and an array a', () => {
    for (const p of [
      '{"f":"x","a":[]}',
      `{"c":"${CLIENT}","a":[]}`,
      `{"c":"${CLIENT}","f":"","a":[]}`,
      `{"c":"${CLIENT}","f":"x"}`,
      `{"c":"${CLIENT}","f":"x","a":{}}`,
    ]) {
      assert.equal(fails(`{"m":"conn.call","p":${p},"i":1}`).error.code, 101, p);
    }
  });

  it('queue.pop needs a non-empty array of non-empty topic names', () => {
    for (const p of ['{}', '{"t":[]}', '{"t":"a"}', '{"t":[""]}', '{"t":["a",2]}', '[]', '[""]', '[1]']) {
      assert.equal(fails(`{"m":"queue.pop","p":${p},"i":1}`).error.code, 101, p);
    }
  });

  // PHP's json_encode writes lists and empty arrays as JSON arrays (connmix-php src/V1/AsyncNode.php).
  it('reads a bare array p of queue.pop as its topics, and an empty array p as no params', () => {
    assert.deepEqual(ok('{"m":"queue.pop","p":["foo","bar"],"i":1}').call, {
      method: 'queue.pop',
      topics: ['foo', 'bar'],
    });
    assert.deepEqual(ok('{"m":"queue.unpop","p":[],"i":2}').call, { method: 'queue.unpop' });
    assert.equal(fails('{"m":"queue.unpop","p":["x"],"i":3}').error.code, 101);
    assert.equal(fails('{"m":"mesh.send","p":["x"],"i":4}').error.code, 101);
  });

  it('reads a client id written as a JSON number exactly, from its digits', () => {
    // 2128663754320121857 and …856 are the same double: only the digits tell them apart.
    assert.equal(JSON.parse('2128663754320121857'), JSON.parse('2128663754320121856'));
    const send = ok('{"m":"mesh.send","p":{"c":2128663754320121857,"d":"hi"},"i":2}');
    assert.deepEqual(send.call, {
      method: 'mesh.send',
      client: '2128663754320121857',
      data: 'hi',
      binary: false,
    });
    const call = ok('{"m":"conn.call","p":{"c":18446744073709551615,"f":"subscribe","a":["r"]},"i":3}');
    assert.equal(call.ok && call.call.method === 'conn.call' && call.call.client, '18446744073709551615');
    // Keys and strings that merely look like "c" do not confuse the reading.
    const tricky = ok('{"m":"mesh.send","i":4,"x":{"c":1},"p":{"d":"\\"c\\":5","c" : 9007199254740993}}');
    assert.equal(tricky.ok && tricky.call.method === 'mesh.send' && tricky.call.client, '9007199254740993');
    assert.equal(ok('{"m":"mesh.send","p":{"c":0,"d":"x"}}').call.method, 'mesh.send');
  });

  it('refuses a fraction, a negative number or an exponent as a client id with 101', () => {
    for (const c of ['1.5', '-2', '2128663754320121856.0', '2.1e18', '-0', '1E3']) {
      for (const m of ['mesh.send', 'conn.call']) {
        const d = fails(`{"m":"${m}","p":{"c":${c},"d":"x","f":"subscribe","a":["r"]},"i":7}`);
        assert.equal(d.error.code, 101, `${m} ${c}`);
        assert.equal(d.id, 7);
        assert.match(d.error.message, /non-negative integer/);
      }
    }
    // JSON.parse keeps the last of two equal keys; the exact reader refuses them: still a clear 101.
    assert.equal(fails('{"m":"mesh.send","p":{"c":1,"c":2,"d":"x"},"i":8}').error.code, 101);
  });
});

describe('mesh codec: send and publish params (shared by HTTP and WebSocket)', () => {
  it('sends text as is, any other JSON value as its JSON text', () => {
    assert.equal(parseSendParams({ c: CLIENT, d: 'hi', t: 'text' }).data, 'hi');
    assert.equal(parseSendParams({ c: CLIENT, d: { a: [1, null] } }).data, '{"a":[1,null]}');
    assert.equal(parseSendParams({ c: CLIENT, d: 5 }).data, '5');
    assert.equal(parseSendParams({ c: CLIENT, d: null }).data, 'null');
  });

  it('decodes base64 for t=binary on send and publish', () => {
    const send = parseSendParams({ c: CLIENT, d: 'AP8H', t: 'binary' });
    assert.equal(send.binary, true);
    assert.deepEqual(send.data, Buffer.from([0, 255, 7]));
    assert.deepEqual(parsePublishParams({ c: 'ch', d: 'AQID', t: 'binary' }).data, Buffer.from([1, 2, 3]));
    assert.deepEqual(parsePublishParams({ c: 'ch', d: '', t: 'binary' }).data, Buffer.alloc(0));
  });

  it('refuses bad params with 101, including a client id number that was not read from the text', () => {
    const bad: unknown[] = [
      null,
      [],
      'x',
      {},
      { c: CLIENT },
      { c: '', d: 'x' },
      { c: 1463786910324359200, d: 'x' },
      { c: CLIENT, d: 'x', t: 'TEXT' },
      { c: CLIENT, d: 'a b', t: 'binary' },
      { c: CLIENT, d: ['AQID'], t: 'binary' },
    ];
    for (const p of bad) {
      assert.throws(
        () => parseSendParams(p),
        (e: unknown) => e instanceof MeshError && e.code === 101,
        JSON.stringify(p),
      );
    }
    // Without the request text a number cannot be read exactly (decodeRequest reads the digits).
    assert.throws(() => parseSendParams({ c: 1, d: 'x' }), /non-negative integer/);
    for (const p of [{ d: 1 }, { c: 'ch' }, { c: 3, d: 1 }, { c: 'ch', d: '-_', t: 'binary' }]) {
      assert.throws(() => parsePublishParams(p), MeshError, JSON.stringify(p));
    }
  });

  it('accepts standard base64 with or without padding and nothing else', () => {
    assert.deepEqual(decodeBase64('AQID'), Buffer.from([1, 2, 3]));
    assert.deepEqual(decodeBase64('AQI='), Buffer.from([1, 2]));
    assert.deepEqual(decodeBase64('AQI'), Buffer.from([1, 2]));
    assert.deepEqual(decodeBase64('AQ=='), Buffer.from([1]));
    assert.deepEqual(decodeBase64('+/+/'), Buffer.from('+/+/', 'base64'));
    for (const s of ['A', 'AQ=', 'AQI==', '-_-_', 'AQ ID', 'AQID\n', '====', 'A===']) {
      assert.equal(decodeBase64(s), undefined, s);
    }
  });
});

describe('mesh codec: replies and events', () => {
  it('shapes replies as the original gateway does: E null with r, or E with no r; i only when given', () => {
    assert.deepEqual(resultEnvelope({ s: true }, 12345), { E: null, r: { s: true }, i: 12345 });
    assert.deepEqual(resultEnvelope({ s: 9, f: 0 }), { E: null, r: { s: 9, f: 0 } });
    assert.deepEqual(resultEnvelope({ s: true }, null), { E: null, r: { s: true }, i: null });
    const err = new MeshError(MeshErrorCode.duplicateConsume, 'already consuming topic "t"');
    assert.deepEqual(errorEnvelope(err, 'a'), { E: { c: 202, m: 'already consuming topic "t"' }, i: 'a' });
    assert.deepEqual(errorEnvelope(err), { E: { c: 202, m: 'already consuming topic "t"' } });
    assert.equal(JSON.stringify(resultEnvelope({ s: true }, 1)), '{"E":null,"r":{"s":true},"i":1}');
  });

  it('encodes a queue item as the original gateway’s queue.pop event, id null', () => {
    const item = {
      node: 1,
      client: CLIENT,
      topic: 'topic1',
      data: { frame: { type: 'text', data: 'json str', finish: true } },
    };
    assert.equal(
      encodeQueueEvent(item),
      `{"e":"queue.pop","p":{"n":1,"c":"${CLIENT}","t":"topic1","d":{"frame":{"type":"text","data":"json str","finish":true}}},"id":null}`,
    );
  });

  it('renders a publication for gateway clients as a raw frame', () => {
    const pub = (data: Publication['data']): Publication => ({ channel: 'c', ord: 1, time: 0, data });
    assert.deepEqual(renderRawFrame(pub('héllo')), { data: Buffer.from('héllo'), binary: false });
    assert.deepEqual(renderRawFrame(pub({ a: 1 })), { data: Buffer.from('{"a":1}'), binary: false });
    assert.deepEqual(renderRawFrame(pub(Buffer.from([9]))), { data: Buffer.from([9]), binary: true });
  });
});
