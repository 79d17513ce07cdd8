/**
 * The package as a user gets it: deploy/pack.sh packs the build `npm test` just made (the script
 * the Docker image's build stage runs), deploy/install-package.sh installs the tarball into an
 * empty directory with runtime dependencies only (the image's runtime stage), and the installed
 * `switchboard` bin and `switchboard/client` import are used from there.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deleteRedisPrefix, REDIS_URL } from '../cluster/helpers.js';
import { exitCode, waitForListening } from '../helpers/cli-process.js';
import { dockerHealthcheck } from './dockerfile.js';

// dist/test/deploy/package.test.js → the repository root.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const dir = mkdtempSync(join(tmpdir(), 'switchboard-package-'));
const INSTALL = join(dir, 'install');
const BIN = join(INSTALL, 'node_modules', '.bin', 'switchboard');
// The caller's SWITCHBOARD_* must not leak into what is being tested.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
let tarball = '';

function bin(...args: string[]) {
  const r = spawnSync(BIN, args, { cwd: INSTALL, encoding: 'utf8', env: ENV, timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function filesUnder(path: string): string[] {
  return readdirSync(path).flatMap((name) => {
    const p = join(path, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

before(
  () => {
    tarball = execFileSync('sh', [join(ROOT, 'deploy/pack.sh'), dir], { encoding: 'utf8' }).trim();
    execFileSync('sh', [join(ROOT, 'deploy/install-package.sh'), tarball, INSTALL], { stdio: 'pipe' });
  },
  { timeout: 300000 },
);
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed package', () => {
  test('holds the build, web pages, deploy files, LICENSE and CHANGELOG, but no sources or tests', () => {
    assert.equal(tarball, join(dir, `switchboard-${PKG.version}.tgz`));
    const entries = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const want of [
      'package/dist/src/cli/main.js',
      'package/dist/src/client/index.js',
      'package/web/chat/index.html',
      'package/web/admin/index.html',
      'package/deploy/Dockerfile',
      'package/LICENSE',
      'package/CHANGELOG.md',
      'package/README.md',
    ]) {
      assert.ok(entries.includes(want), `${want} is missing from the tarball`);
    }
    for (const prefix of [
      'package/dist/test/',
      'package/dist/bench/',
      'package/src/',
      'package/node_modules/',
    ])
      assert.ok(!entries.some((e) => e.startsWith(prefix)), `the tarball holds ${prefix}`);
    // Files the compiled modules read from next to themselves (the Redis engine's Lua scripts).
    const assets = filesUnder(join(ROOT, 'src')).filter((f) => f.endsWith('.lua'));
    for (const asset of assets) {
      const want = `package/dist/${relative(ROOT, asset)}`;
      assert.ok(entries.includes(want), `${want} is missing from the tarball`);
    }
  });

  test('installs without dev dependencies; --version, gen-config and check-config work', () => {
    const modules = join(INSTALL, 'node_modules');
    for (const dev of ['typescript', '@biomejs/biome', 'playwright-core', 'fast-check', 'socket.io'])
      assert.ok(!existsSync(join(modules, dev)), `dev dependency ${dev} was installed`);
    for (const runtime of ['ws', 'ioredis', 'pino', 'prom-client'])
      assert.ok(existsSync(join(modules, runtime)), `${runtime} was not installed`);

    const version = bin('--version');
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), PKG.version);

    const config = join(dir, 'generated.yaml');
    const gen = bin('gen-config', '--out', config);
    assert.equal(gen.code, 0, gen.stderr);
    const check = bin('check-config', config);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(check.stdout.trim(), `ok: ${config}`);
  });

  test('serves on the Redis engine: /healthz, /readyz, a /post stored in Redis, the image HEALTHCHECK', async () => {
    const prefix = `sbtest:pkg:${randomBytes(4).toString('hex')}:`;
    const config = join(dir, 'redis.yaml');
    writeFileSync(
      config,
      [
        'listen: { host: 127.0.0.1, port: 0 }',
        `engine: { type: redis, url: "${REDIS_URL}", prefix: "${prefix}" }`,
        'namespaces: { app: { secret: s, post_secret: p } }',
        '',
      ].join('\n'),
    );
    const child = spawn(BIN, ['serve', '--config', config], { cwd: INSTALL, env: ENV });
    try {
      const { url } = await waitForListening(child);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/readyz`)).status, 200);

      const { token } = (await (await fetch(`${url}/token?site=app`)).json()) as { token: string };
      const auth = createHmac('sha256', 'p').update(token).digest('base64');
      const res = await fetch(`${url}/post?site=app`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'news', message: { hello: 'from the package' }, token, auth }),
      });
      assert.deepEqual(await res.json(), { status: 'ok' });

      // The Dockerfile's HEALTHCHECK command, run as written, against this server.
      const check = spawnSync(dockerHealthcheck()[0]!, dockerHealthcheck().slice(1), {
        env: { ...ENV, SWITCHBOARD_LISTEN__PORT: new URL(url).port },
        timeout: 10000,
      });
      assert.equal(check.status, 0, String(check.stderr));

      child.kill('SIGTERM');
      assert.equal(await exitCode(child), 0);
    } finally {
      child.kill('SIGKILL');
      // The publication's history and counter went to Redis under the server's prefix.
      assert.ok((await deleteRedisPrefix(prefix)) > 0, 'the server stored nothing in Redis');
    }
  });

  test('import("switchboard/client") and import("switchboard") from the installed package', () => {
    const script = [
      "const client = await import('switchboard/client');",
      "const server = await import('switchboard');",
      'console.log(JSON.stringify({ SiteClient: typeof client.SiteClient, Backoff: typeof client.Backoff,',
      '  startServer: typeof server.startServer, sameClass: server.SiteClient === client.SiteClient }));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: INSTALL,
      encoding: 'utf8',
      env: ENV,
      timeout: 30000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      SiteClient: 'function',
      Backoff: 'function',
      startServer: 'function',
      sameClass: true,
    });
  });
});
