// The rocket permission model (docs/protocol/rocket.md, after WebRocket's "User"): users are defined per vhost, each with a
// secret and a subset of READ, WRITE and MANAGE. Pure functions of the configuration, so the
// admin API can reuse them (`canManage`) without a WebSocket session.
import type { NamespaceConfig } from '../../app/config-schema.js';
import { secretEquals } from '../../core/secret-compare.js';
import { type Permission as PermissionName, type RocketConfig, USER_NAME } from './config.js';
import { RocketErrorId } from './errors.js';

export const Permission = { read: 'READ', write: 'WRITE', manage: 'MANAGE' } as const satisfies Record<
  string,
  PermissionName
>;
export type Permission = PermissionName;

/** Who a rocket session is authenticated as, and what it may do. */
export interface Identity {
  user: string;
  permissions: ReadonlySet<Permission>;
}

export type AuthenticateResult =
  | { ok: true; identity: Identity }
  | {
      ok: false;
      error:
        | typeof RocketErrorId.invalidUserName
        | typeof RocketErrorId.userNotFound
        | typeof RocketErrorId.invalidCredentials;
    };

export function isValidUserName(name: unknown): name is string {
  return typeof name === 'string' && USER_NAME.test(name);
}

/**
 * Check `user`/`secret` against the vhost's users, in the original protocol's order: INVALID_USER_NAME →
 * USER_NOT_FOUND → INVALID_CREDENTIALS. A user configured with an empty secret accepts any
 * secret, including none (the original protocol's `secret` is optional for that reason).
 */
export function authenticate(
  rocket: RocketConfig,
  user: string,
  secret: string | undefined,
): AuthenticateResult {
  if (!isValidUserName(user)) return { ok: false, error: RocketErrorId.invalidUserName };
  const entry = Object.hasOwn(rocket.users, user) ? rocket.users[user] : undefined;
  if (entry === undefined) return { ok: false, error: RocketErrorId.userNotFound };
  if (entry.secret !== '' && !secretEquals(secret ?? '', entry.secret)) {
    return { ok: false, error: RocketErrorId.invalidCredentials };
  }
  return { ok: true, identity: { user, permissions: new Set(entry.permissions) } };
}

export function hasPermission(identity: Identity | undefined, permission: Permission): boolean {
  return identity?.permissions.has(permission) ?? false;
}

/**
 * May `user`, proving itself with `secret`, manage `namespace` through the admin API (docs/protocol/rocket.md:
 * channels, subscribers, history, kick — of that namespace only)? False for a namespace without
 * a rocket section, an unknown user, a wrong secret or a user without MANAGE. Also false for a user
 * configured with an empty secret: "any secret will do" is the original protocol's rule for WebSocket sessions,
 * and applied here it would hand the admin API to anyone (the admin API refuses them the same way).
 */
export function canManage(
  namespace: NamespaceConfig | undefined,
  user: string,
  secret: string | undefined,
): boolean {
  const rocket = namespace?.rocket;
  if (rocket === undefined) return false;
  const entry = Object.hasOwn(rocket.users, user) ? rocket.users[user] : undefined;
  if (entry === undefined || entry.secret === '') return false;
  const result = authenticate(rocket, user, secret);
  return result.ok && hasPermission(result.identity, Permission.manage);
}
