// The paths the modules serve are known from the config before anything starts: a rocket vhost
// (or the mesh client path) on a path another module serves is refused by `check-config` and by
// `serve`, on the key that placed it and naming what has the path already.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { configSchema } from '../../src/app/config-schema.js';
import { startServer } from '../../src/app/server.js';
import type { RouteClaim } from '../../src/dialects/module.js';
import { routeConflicts } from '../../src/dialects/route-claims.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'switchboard-routes-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));

function cli(yaml: string, ...args: string[]) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, yaml);
  const r = spawnSync(process.execPath, [MAIN, ...args, path], {
    encoding: 'utf8',
    env: ENV,
    timeout: 20000,
  });
  return { code: r.status, stderr: r.stderr };
}

const LISTEN = 'listen: { host: 127.0.0.1, port: 0 }\n';

describe('route conflicts', () => {
  for (const command of [['check-config'], ['serve', '--config']]) {
    test(`${command[0]} refuses a rocket vhost on another dialect's route, naming both`, () => {
      const r = cli(`${LISTEN}namespaces:\n  demo: { rocket: { path: /token } }\n`, ...command);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /namespaces\.demo\.rocket\.path: \/token is reserved: site's GET \/token/);
    });

    test(`${command[0]} refuses a rocket vhost on the mesh client path and under the Pusher apps' paths`, () => {
      const r = cli(
        `${LISTEN}mesh: { client_path: /gw }\nnamespaces:\n  a: { rocket: { path: /gw } }\n  b: { rocket: { path: /app/x } }\n  p: { pusher: { app_id: "1", key: k, secret: s } }\n`,
        ...command,
      );
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /namespaces\.a\.rocket\.path: \/gw is already the mesh client_path/);
      assert.match(
        r.stderr,
        /namespaces\.b\.rocket\.path: the paths under \/app\/ are reserved: the Pusher apps' paths/,
      );
    });
  }

  test('a config that skipped the schema is refused at start, naming both routes', async () => {
    const config = configSchema.parse({ listen: { host: '127.0.0.1', port: 0 } });
    // What the schema would have refused, set after it: the start checks again.
    config.mesh.client_path = '/readyz';
    await assert.rejects(
      startServer(config, { logger: pino({ level: 'silent' }) }),
      /mesh\.client_path: \/readyz is reserved: the readiness probe GET \/readyz/,
    );
  });

  test('two modules whose own paths collide are both named', () => {
    const claims: RouteClaim[] = [
      { path: '/api', scope: 'tree', owner: "chat's REST API" },
      { path: '/api/v2', scope: 'exact', owner: "a new dialect's GET /api/v2" },
      { path: '/ws', scope: 'exact', owner: 'site', shared: true },
      { path: '/ws', scope: 'exact', owner: 'chat', shared: true },
    ];
    const found = routeConflicts(claims);
    assert.equal(found.length, 1, 'shared claims may overlap each other');
    assert.equal(found[0]!.claim.owner, "a new dialect's GET /api/v2");
    assert.equal(found[0]!.message, "/api and the paths under it are reserved: chat's REST API");
  });
});
