// What each module declares it serves (`routes`, known before it is built) covers what it builds:
// every HTTP and WebSocket route of every module lies on one of its own claims. Reserved paths are
// the claims, so a route a module forgot to claim could be taken by a rocket vhost unnoticed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { MODULES } from '../../src/app/dialects.js';
import type { DialectContext } from '../../src/dialects/context.js';
import type { RouteClaim } from '../../src/dialects/module.js';
import { routeConflicts } from '../../src/dialects/route-claims.js';
import { startTestServer } from '../helpers/server.js';

/** A path a pattern matches: its literal start, plus one segment when it ends in `/`. */
function samplePath(path: string | RegExp): string {
  if (typeof path === 'string') return path;
  let out = '';
  const src = path.source.replace(/^\^/, '');
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') out += src[++i];
    else if ('()[]{}.*+?|$'.includes(c)) break;
    else out += c;
  }
  return out.endsWith('/') ? `${out}x` : out;
}

/** The claim (a lone route claimed as `tree`/`below` stands for what is under it) taking `path`. */
function claimOf(claims: RouteClaim[], path: string, prefix: boolean): RouteClaim | undefined {
  const probe: RouteClaim = {
    path: prefix ? `${path}/x` : path,
    scope: 'exact',
    owner: 'probe',
    key: ['probe'],
  };
  return claims.find((c) => routeConflicts([c, probe]).length === 1);
}

describe('module routes', () => {
  it("every route a module builds lies on one of the module's own claims", async () => {
    const server = await startTestServer({
      namespaces: {
        demo: {
          secret: 's',
          api_keys: ['k'],
          rocket: { path: '/demo' },
          pusher: { app_id: '1', key: 'app-key', secret: 'p' },
        },
      },
    });
    const ctx: DialectContext = {
      hub: server.hub,
      config: server.config,
      logger: pino({ level: 'silent' }),
      startedAt: Date.now(),
      ready: () => true,
      transport: server.transport,
    };
    try {
      for (const module of MODULES) {
        const claims = module.routes(server.config);
        const dialect = module.create(ctx);
        try {
          for (const route of dialect.http) {
            const path = samplePath(route.path);
            assert.ok(
              claimOf(claims, path, false),
              `${module.name}: HTTP ${route.method} ${String(route.path)} is not claimed`,
            );
          }
          for (const route of dialect.upgrades) {
            assert.ok(
              claimOf(claims, route.path, route.prefix === true),
              `${module.name}: WebSocket ${route.path} is not claimed`,
            );
          }
        } finally {
          await dialect.close?.();
        }
      }
    } finally {
      await server.close();
    }
  });
});
