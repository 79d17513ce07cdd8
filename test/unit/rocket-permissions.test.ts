import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/app/config-schema.js';
import { secretEquals as secretsEqual } from '../../src/core/secret-compare.js';
import { KnownChannels } from '../../src/dialects/rocket/known-channels.js';
import { authenticate, canManage, hasPermission } from '../../src/dialects/rocket/permissions.js';
import { ROCKET_USERS } from '../protocol/rocket-fixtures.js';

const config = configSchema.parse({
  namespaces: {
    app: {
      rocket: {
        path: '/app',
        users: { ...ROCKET_USERS, openboss: { secret: '', permissions: ['MANAGE'] } },
      },
    },
    other: { rocket: { path: '/other', users: { boss2: { secret: 'b2', permissions: ['MANAGE'] } } } },
    plain: { secret: 's' },
  },
});
const app = config.namespaces.app!;
const rocket = app.rocket!;

describe('rocket permissions', () => {
  it('authenticates in the original protocol’s order: INVALID_USER_NAME → USER_NOT_FOUND → INVALID_CREDENTIALS', () => {
    assert.deepEqual(authenticate(rocket, 'no such', 'x'), { ok: false, error: 'INVALID_USER_NAME' });
    assert.deepEqual(authenticate(rocket, 'ghost', 'x'), { ok: false, error: 'USER_NOT_FOUND' });
    assert.deepEqual(authenticate(rocket, 'reader', 'w'), { ok: false, error: 'INVALID_CREDENTIALS' });
    assert.deepEqual(authenticate(rocket, 'reader', undefined), { ok: false, error: 'INVALID_CREDENTIALS' });
    const ok = authenticate(rocket, 'reader', 'r');
    assert.ok(ok.ok);
    assert.equal(ok.identity.user, 'reader');
    assert.deepEqual([...ok.identity.permissions], ['READ']);
  });

  it('does not treat inherited object keys as users', () => {
    assert.deepEqual(authenticate(rocket, 'constructor', ''), { ok: false, error: 'USER_NOT_FOUND' });
    assert.deepEqual(authenticate(rocket, '__proto__', ''), { ok: false, error: 'USER_NOT_FOUND' });
  });

  it('lets a user with an empty secret in with any secret or none', () => {
    for (const secret of [undefined, '', 'anything', 'w']) {
      const r = authenticate(rocket, 'open', secret);
      assert.ok(r.ok, String(secret));
    }
  });

  it('grants exactly the configured permissions', () => {
    const id = (user: string, secret: string) => {
      const r = authenticate(rocket, user, secret);
      assert.ok(r.ok);
      return r.identity;
    };
    const table: [string, string, boolean, boolean, boolean][] = [
      ['reader', 'r', true, false, false],
      ['writer', 'w', true, true, false],
      ['open', '', true, true, false],
      ['boss', 'b', true, true, true],
    ];
    for (const [user, secret, read, write, manage] of table) {
      const identity = id(user, secret);
      assert.equal(hasPermission(identity, 'READ'), read, `${user} READ`);
      assert.equal(hasPermission(identity, 'WRITE'), write, `${user} WRITE`);
      assert.equal(hasPermission(identity, 'MANAGE'), manage, `${user} MANAGE`);
    }
    assert.equal(hasPermission(undefined, 'READ'), false);
  });

  it('canManage: only MANAGE users with the right secret, for their own namespace', () => {
    assert.equal(canManage(app, 'boss', 'b'), true);
    assert.equal(canManage(app, 'boss', 'wrong'), false);
    assert.equal(canManage(app, 'boss', undefined), false);
    assert.equal(canManage(app, 'writer', 'w'), false);
    assert.equal(canManage(app, 'ghost', 'b'), false);
    // The original protocol's "empty secret accepts anything" stops at the admin API: such users never manage.
    assert.equal(canManage(app, 'openboss', 'whatever'), false);
    assert.equal(canManage(app, 'openboss', ''), false);
    // Users are per vhost: a MANAGE user of one namespace manages nothing in another.
    assert.equal(canManage(config.namespaces.other, 'boss', 'b'), false);
    assert.equal(canManage(app, 'boss2', 'b2'), false);
    assert.equal(canManage(config.namespaces.other, 'boss2', 'b2'), true);
    // A namespace without a rocket section has no users at all.
    assert.equal(canManage(config.namespaces.plain, 'boss', 'b'), false);
    assert.equal(canManage(undefined, 'boss', 'b'), false);
  });

  it('compares secrets of any lengths', () => {
    assert.equal(secretsEqual('abc', 'abc'), true);
    assert.equal(secretsEqual('abc', 'abd'), false);
    assert.equal(secretsEqual('abc', 'abcd'), false);
    assert.equal(secretsEqual('', ''), true);
    assert.equal(secretsEqual('ключ', 'ключ'), true);
  });
});

describe('rocket known channels', () => {
  it('remembers subscribed channels and forgets the oldest past its capacity', () => {
    const known = new KnownChannels(2);
    known.add('a');
    known.add('b');
    known.add('a');
    assert.ok(known.has('a') && known.has('b'));
    known.add('c');
    assert.equal(known.size, 2);
    assert.ok(!known.has('a'));
    assert.ok(known.has('b') && known.has('c'));
  });
});
