import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Publication } from '../../src/core/types.js';
import {
  BINARY_FRAME_ERROR,
  type DecodeResult,
  decodeRequest,
  encodeError,
  encodeMessage,
  encodeOk,
  SiteError,
  SiteErrorCode,
} from '../../src/dialects/site/codec.js';

const SUB = { channel: 'news', after: 0, token: 'tok', auth: 'mac' };

function ok(result: DecodeResult) {
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result.request;
}

function err(result: DecodeResult) {
  assert.ok(!result.ok, 'expected a decode error');
  return result.error;
}

/** The wire form of the error the server would answer `frame` with. */
const answer = (frame: string) => JSON.parse(encodeError(err(decodeRequest(frame))));

describe('site codec: requests', () => {
  it('decodes a subscribe with every field', () => {
    const req = ok(decodeRequest(JSON.stringify({ request: 'subscribe', req_id: '32r2', body: SUB })));
    assert.deepEqual(req, { kind: 'subscribe', reqId: '32r2', ...SUB });
  });

  it('decodes the original protocol’s spacing and key order, without req_id', () => {
    const frame = `{
      "request":  "subscribe",
      "body": { "channel": "foo", "after": 42, "token": "fskdfkjnKJkj", "auth": "fskdfkjnKJkj" }
    }`;
    const req = ok(decodeRequest(frame));
    assert.equal(req.kind, 'subscribe');
    assert.equal(req.reqId, undefined);
    assert.equal(req.kind === 'subscribe' && req.after, 42);
  });

  it('accepts after = -1, 0 and large ords, and reads a missing or null after as 0', () => {
    for (const after of [-1, 0, 1, 1_700_000_000_000_001]) {
      const req = ok(decodeRequest(JSON.stringify({ request: 'subscribe', body: { ...SUB, after } })));
      assert.equal(req.kind === 'subscribe' && req.after, after);
    }
    const { after: _omit, ...noAfter } = SUB;
    for (const body of [noAfter, { ...noAfter, after: null }]) {
      const req = ok(decodeRequest(JSON.stringify({ request: 'subscribe', body })));
      assert.equal(req.kind === 'subscribe' && req.after, 0);
    }
  });

  it('decodes an unsubscribe and ignores unknown body keys', () => {
    const req = ok(decodeRequest('{"request":"unsubscribe","req_id":"u1","body":{"channel":"foo","x":1}}'));
    assert.deepEqual(req, { kind: 'unsubscribe', reqId: 'u1', channel: 'foo' });
  });

  it('answers invalid JSON with an error that has no req_id', () => {
    for (const frame of ['', '{', 'subscribe', '{"request":"subscribe",}', '{"req_id":"1"']) {
      const e = err(decodeRequest(frame));
      assert.equal(e.code, SiteErrorCode.invalidJson, frame);
      assert.deepEqual(answer(frame), { response: 'error', body: 'request is not valid JSON' });
    }
  });

  it('answers JSON that is not an object, with no req_id', () => {
    for (const frame of ['null', '[]', '[{"request":"subscribe"}]', '"subscribe"', '42', 'true']) {
      assert.equal(err(decodeRequest(frame)).code, SiteErrorCode.notAnObject, frame);
      assert.deepEqual(answer(frame), { response: 'error', body: 'request must be a JSON object' });
    }
  });

  it('answers a missing or non-string request, echoing req_id', () => {
    assert.deepEqual(answer('{"req_id":"a","body":{}}'), {
      response: 'error',
      req_id: 'a',
      body: 'request is missing',
    });
    assert.deepEqual(answer('{"body":{}}'), { response: 'error', body: 'request is missing' });
    assert.deepEqual(answer('{"request":7,"req_id":"b"}'), {
      response: 'error',
      req_id: 'b',
      body: 'request must be a string',
    });
    assert.deepEqual(answer('{"request":null}'), { response: 'error', body: 'request must be a string' });
  });

  it('answers an unknown request with "unknown request"', () => {
    for (const name of ['publish', 'Subscribe', '', 'toString', '__proto__']) {
      const frame = JSON.stringify({ request: name, req_id: 'x', body: {} });
      assert.equal(err(decodeRequest(frame)).code, SiteErrorCode.unknownRequest, name);
      assert.deepEqual(answer(frame), { response: 'error', req_id: 'x', body: 'unknown request' });
    }
  });

  it('req_id: a string is echoed as given, null is like none, other types are an error echoing it', () => {
    for (const id of ['', '32r2', ' spaced ', 'ünïcode', '{"json":1}']) {
      const frame = JSON.stringify({ request: 'nope', req_id: id });
      assert.equal(answer(frame).req_id, id);
    }
    assert.ok(!('req_id' in answer('{"request":"nope","req_id":null}')));
    for (const id of [1, 0, true, [], { a: 1 }]) {
      const frame = JSON.stringify({ request: 'subscribe', req_id: id, body: SUB });
      const e = err(decodeRequest(frame));
      assert.equal(e.code, SiteErrorCode.badReqId);
      assert.deepEqual(answer(frame), { response: 'error', req_id: id, body: 'req_id must be a string' });
    }
  });

  it('refuses a subscribe body that is missing or not an object', () => {
    for (const body of [undefined, null, 'news', 1, ['news']]) {
      const frame = JSON.stringify({ request: 'subscribe', req_id: 'r', body });
      const e = err(decodeRequest(frame));
      assert.equal(e.code, SiteErrorCode.badBody);
      assert.equal(e.reqId, 'r');
      assert.match(e.message, /subscribe body must be an object/);
    }
  });

  it('refuses each missing or wrong-typed subscribe field with a message naming it', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ channel: undefined }, /body\.channel must be a non-empty string/],
      [{ channel: '' }, /body\.channel/],
      [{ channel: 5 }, /body\.channel/],
      [{ after: '5' }, /body\.after must be an integer/],
      [{ after: 1.5 }, /body\.after/],
      [{ after: -2 }, /body\.after/],
      [{ after: 2 ** 53 }, /body\.after/],
      [{ after: true }, /body\.after/],
      [{ token: undefined }, /body\.token must be a non-empty string/],
      [{ token: '' }, /body\.token/],
      [{ token: 1 }, /body\.token/],
      [{ auth: undefined }, /body\.auth must be a non-empty string/],
      [{ auth: null }, /body\.auth/],
      [{ auth: {} }, /body\.auth/],
    ];
    for (const [patch, message] of cases) {
      const body = { ...SUB, ...patch };
      const e = err(decodeRequest(JSON.stringify({ request: 'subscribe', req_id: 'q', body })));
      assert.equal(e.code, SiteErrorCode.badBody, JSON.stringify(patch));
      assert.match(e.message, message);
      assert.equal(e.reqId, 'q');
    }
  });

  it('refuses an unsubscribe without a usable channel', () => {
    for (const body of [undefined, {}, { channel: '' }, { channel: 3 }, 'foo']) {
      const e = err(decodeRequest(JSON.stringify({ request: 'unsubscribe', body })));
      assert.equal(e.code, SiteErrorCode.badBody);
      assert.equal(e.reqId, undefined);
    }
  });
});

describe('site codec: responses and messages', () => {
  it('encodes ok and error in the original protocol’s key order, req_id only when given', () => {
    assert.equal(encodeOk(undefined), '{"response":"ok","body":null}');
    assert.equal(encodeOk('32r2'), '{"response":"ok","req_id":"32r2","body":null}');
    assert.equal(encodeOk(''), '{"response":"ok","req_id":"","body":null}');
    const e = new SiteError(SiteErrorCode.notSubscribed, 'not subscribed to channel foo', 'z');
    assert.equal(encodeError(e), '{"response":"error","req_id":"z","body":"not subscribed to channel foo"}');
    assert.equal(
      encodeError(BINARY_FRAME_ERROR),
      '{"response":"error","body":"binary frames are not accepted: send each request as a JSON text frame"}',
    );
  });

  it('renders a publication as {"message","ord","body"}', () => {
    const p: Publication = {
      channel: 'foo',
      ord: 42,
      time: 1,
      data: { a: [1, 'x'] },
      event: 'e',
      sender: 's',
      id: 'i',
    };
    assert.equal(encodeMessage(p).toString(), '{"message":"foo","ord":42,"body":{"a":[1,"x"]}}');
    const scalar: Publication = { channel: 'ч', ord: 1, time: 1, data: null };
    assert.equal(encodeMessage(scalar).toString('utf8'), '{"message":"ч","ord":1,"body":null}');
  });

  it('renders a binary publication body as a base64 string', () => {
    const p: Publication = { channel: 'bin', ord: 7, time: 1, data: Buffer.from([0, 1, 2, 250, 255]) };
    assert.deepEqual(JSON.parse(encodeMessage(p).toString()), { message: 'bin', ord: 7, body: 'AAEC+v8=' });
  });
});
