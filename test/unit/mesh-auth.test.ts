import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/app/config-schema.js';
import { authorizeBackend, keyMatches, requestedNamespace } from '../../src/dialects/mesh/auth.js';

const config = configSchema.parse({
  namespaces: {
    default: { api_keys: ['d-key'] },
    a: { api_keys: ['a-key-1', 'a-key-2'] },
    b: { api_keys: ['b-key'] },
    keyless: {},
  },
});
const req = (headers: Record<string, string> = {}) => ({ headers }) as unknown as IncomingMessage;
const url = (query: string) => new URL(`http://localhost/ws/v1${query}`);

describe('mesh API keys', () => {
  it('picks the namespace from ?site=, default "default"', () => {
    assert.equal(requestedNamespace(url('?site=a')), 'a');
    assert.equal(requestedNamespace(url('')), 'default');
    assert.equal(requestedNamespace(url('?site=')), 'default');
  });

  it('matches any key of the list, and only exact keys', () => {
    assert.equal(keyMatches('a-key-2', ['a-key-1', 'a-key-2']), true);
    assert.equal(keyMatches('a-key-', ['a-key-1', 'a-key-2']), false);
    assert.equal(keyMatches('a-key-22', ['a-key-2']), false);
    assert.equal(keyMatches('', []), false);
  });

  it('accepts a Bearer header or ?key= of the requested namespace', () => {
    assert.deepEqual(authorizeBackend(config, req({ authorization: 'Bearer a-key-1' }), url('?site=a')), {
      ok: true,
      namespace: 'a',
    });
    assert.deepEqual(authorizeBackend(config, req(), url('?site=a&key=a-key-2')), {
      ok: true,
      namespace: 'a',
    });
    assert.deepEqual(authorizeBackend(config, req(), url('?key=d-key')), { ok: true, namespace: 'default' });
  });

  it('refuses a missing key, a wrong key and another namespace’s key with 401', () => {
    for (const [headers, query] of [
      [{}, '?site=a'],
      [{ authorization: 'Bearer nope' }, '?site=a'],
      [{}, '?site=a&key=b-key'],
      [{ authorization: 'Bearer a-key-1' }, '?site=b'],
      [{}, '?key=a-key-1'],
      [{}, '?site=keyless&key=anything'],
    ] as const) {
      const verdict = authorizeBackend(config, req(headers), url(query));
      assert.equal(verdict.ok, false, query);
      if (!verdict.ok) {
        assert.equal(verdict.status, 401, query);
        assert.equal(typeof verdict.body.error, 'string');
      }
    }
  });

  it('refuses an unknown namespace with 404, and says to configure "default" when no site was given', () => {
    const unknown = authorizeBackend(config, req(), url('?site=zzz&key=a-key-1'));
    assert.deepEqual(unknown, { ok: false, status: 404, body: { error: 'unknown site "zzz"' } });
    const noDefault = configSchema.parse({ namespaces: { a: { api_keys: ['k'] } } });
    const verdict = authorizeBackend(noDefault, req(), url('?key=k'));
    assert.equal(verdict.ok, false);
    if (!verdict.ok) assert.match(verdict.body.error, /configure a namespace named "default"/);
    const proto = authorizeBackend(config, req(), url('?site=__proto__&key=x'));
    assert.equal(proto.ok, false, 'inherited object keys are not namespaces');
  });
});
