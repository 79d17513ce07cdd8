import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Backoff, DEFAULT_BACKOFF } from '../../src/client/backoff.js';
import { classifyServerError, parseServerFrame } from '../../src/client/wire.js';

describe('client Backoff', () => {
  it('grows by the factor from initialMs and stops at maxMs', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 }, () => 0);
    assert.deepEqual(
      Array.from({ length: 7 }, () => b.next()),
      [100, 200, 400, 800, 1000, 1000, 1000],
    );
    assert.equal(b.attempts, 7);
  });

  it('jitter only ever shortens a delay, by at most its share', () => {
    const most = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 }, () => 1);
    assert.deepEqual([most.next(), most.next(), most.next()], [50, 100, 200]);
    const draws = [0.2, 0.9, 0.5];
    const b = new Backoff(
      { initialMs: 1000, maxMs: 10_000, factor: 3, jitter: 0.3 },
      () => draws.shift() ?? 0,
    );
    assert.deepEqual([b.next(), b.next(), b.next()], [940, 2190, 7650]);
  });

  it('reset starts the schedule over', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 100, factor: 2, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 10);
  });

  it('has defaults and refuses settings that would spin or never retry', () => {
    assert.deepEqual(new Backoff().options, DEFAULT_BACKOFF);
    assert.throws(() => new Backoff({ factor: 0.5 }), RangeError);
    assert.throws(() => new Backoff({ jitter: 2 }), RangeError);
    assert.throws(() => new Backoff({ initialMs: 100, maxMs: 10 }), RangeError);
    assert.throws(() => new Backoff({ maxMs: Number.POSITIVE_INFINITY }), RangeError);
  });
});

describe('client wire', () => {
  it('reads responses, messages and anything else', () => {
    assert.deepEqual(parseServerFrame('{"response":"ok","req_id":"7","body":null}'), {
      kind: 'response',
      ok: true,
      reqId: '7',
      body: null,
    });
    assert.deepEqual(parseServerFrame('{"response":"error","body":"request is not valid JSON"}'), {
      kind: 'response',
      ok: false,
      reqId: undefined,
      body: 'request is not valid JSON',
    });
    assert.deepEqual(parseServerFrame('{"message":"news","ord":1795426269269001,"body":{"a":1}}'), {
      kind: 'message',
      channel: 'news',
      ord: 1795426269269001,
      body: { a: 1 },
    });
    assert.equal(parseServerFrame('{"message":"news","ord":1.5,"body":1}').kind, 'other');
    assert.equal(parseServerFrame('hello').kind, 'other');
    assert.equal(parseServerFrame('[1]').kind, 'other');
  });

  it('names the documented server errors', () => {
    assert.equal(
      classifyServerError('auth does not match: expected base64(hmac256(secret, channel + token))'),
      'bad_auth',
    );
    assert.equal(classifyServerError('token has expired: get a new one from /token'), 'expired_token');
    assert.equal(classifyServerError('invalid token: not issued by /token?site=demo'), 'invalid_token');
    assert.equal(classifyServerError('rate limit exceeded: slow down'), 'rate_limited');
    assert.equal(classifyServerError('body.channel must be a non-empty string'), 'bad_body');
    assert.equal(classifyServerError('something new'), 'unknown');
  });
});

describe('client SDK stays browser-safe', () => {
  it('src/client imports nothing from Node or npm packages', () => {
    const dir = join(process.cwd(), 'src', 'client');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 3);
    let imports = 0;
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\b[^;]*?from\s+'([^']+)'/gm)) {
        assert.match(m[1] as string, /^\.\/[\w-]+\.js$/, `${file} imports ${m[1]}`);
        imports++;
      }
      assert.doesNotMatch(text, /\bimport\(|\b(require|process|Buffer)\b[.(]/, `${file} uses a Node global`);
    }
    assert.ok(imports >= 5, 'the import scan found the imports');
  });
});
