import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/app/config-schema.js';
import { secretInList as keyMatches } from '../../src/core/secret-compare.js';
import { authorizeBackend, requestedNamespace } from '../../src/dialects/mesh/auth.js';

const config = configSchema.parse({
  namespaces: {
    default: { api_keys: ['d-key'] },
    a: { api_keys: ['a-key-1', 'a-key-2'] },
    b: { api_keys: ['b-key'] },
    keyless: {},
  },
});
const req = (headers: Record<string, string> = {}, remoteAddress = '203.0.113.9') =>
  ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage;
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
      via: 'key',
    });
    assert.deepEqual(authorizeBackend(config, req(), url('?site=a&key=a-key-2')), {
      ok: true,
      namespace: 'a',
      via: 'key',
    });
    assert.deepEqual(authorizeBackend(config, req(), url('?key=d-key')), {
      ok: true,
      namespace: 'default',
      via: 'key',
    });
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

describe('mesh trusted networks', () => {
  const trusted = configSchema.parse({
    namespaces: {
      default: { trusted_networks: ['127.0.0.0/8', '::1/128'] },
      lan: { api_keys: ['lan-key'], trusted_networks: ['10.1.0.0/16', 'fd00::/8', '192.0.2.7'] },
    },
  });

  it('lets a keyless request in when its socket address is in a trusted network of that namespace', () => {
    for (const [address, query] of [
      ['127.0.0.1', ''],
      ['127.9.9.9', '?site=default'],
      ['::1', ''],
      ['::ffff:127.0.0.1', ''],
      ['10.1.200.3', '?site=lan'],
      ['fd12::5', '?site=lan'],
      ['192.0.2.7', '?site=lan'],
    ] as const) {
      const verdict = authorizeBackend(trusted, req({}, address), url(query));
      assert.deepEqual(
        verdict,
        { ok: true, namespace: query === '?site=lan' ? 'lan' : 'default', via: 'trusted_network' },
        `${address} ${query}`,
      );
    }
  });

  it('refuses a keyless request from outside, from another namespace’s network, or with no address', () => {
    for (const [address, query] of [
      ['10.2.0.1', '?site=lan'],
      ['192.0.2.8', '?site=lan'],
      ['10.1.0.1', ''], // trusted for lan, not for default
      ['127.0.0.1', '?site=lan'],
      ['', ''],
    ] as const) {
      const verdict = authorizeBackend(trusted, req({}, address), url(query));
      assert.equal(verdict.ok, false, `${address} ${query}`);
      if (!verdict.ok) assert.equal(verdict.status, 401);
    }
  });

  it('never reads X-Forwarded-For or X-Real-IP', () => {
    const spoofed = req({ 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' }, '198.51.100.1');
    assert.equal(authorizeBackend(trusted, spoofed, url('')).ok, false);
  });

  it('still checks a key that is sent from a trusted network', () => {
    const verdict = authorizeBackend(
      trusted,
      req({ authorization: 'Bearer wrong' }, '10.1.0.1'),
      url('?site=lan'),
    );
    assert.equal(verdict.ok, false);
    const right = authorizeBackend(
      trusted,
      req({ authorization: 'Bearer lan-key' }, '10.1.0.1'),
      url('?site=lan'),
    );
    assert.deepEqual(right, { ok: true, namespace: 'lan', via: 'key' });
  });

  it('refuses a network that is not a CIDR at start-up, naming the key', () => {
    for (const bad of ['10.0.0.0/33', 'localhost', '10.0.0/8', '::1/129', '10.0.0.0/', '10.0.0.0/8/1']) {
      const parsed = configSchema.safeParse({ namespaces: { a: { trusted_networks: [bad] } } });
      assert.equal(parsed.success, false, bad);
      if (!parsed.success) {
        assert.deepEqual(parsed.error.issues[0]?.path, ['namespaces', 'a', 'trusted_networks', 0]);
        assert.match(parsed.error.issues[0]?.message ?? '', /expected a CIDR/);
      }
    }
  });
});
