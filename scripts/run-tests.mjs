#!/usr/bin/env node
// Runs the compiled test files with Node's own test runner. Node 20 has no glob support in
// `--test`, so the files are listed here; SWITCHBOARD_TEST_FILTER narrows the run to paths
// containing that text (handy while working on one dialect).
//
// The Redis tests never rely on a Redis the machine happens to run: unless
// SWITCHBOARD_TEST_REDIS_URL names one, this script starts a private `redis-server` (no
// persistence) on a free loopback port, hands its URL to the test processes in
// SWITCHBOARD_TEST_REDIS_URL and stops it when the tests end. When `redis-server` is missing it
// installs Debian's redis-server package, as ensure-chromium.mjs does for the browser.
import { execFileSync, execSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

function fail(message) {
  console.error(`run-tests: ${message}`);
  process.exit(1);
}

function hasRedisServer() {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function installRedisServer() {
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  console.log("redis-server is missing: installing Debian's redis-server package for the Redis tests");
  try {
    execSync(`${sudo}apt-get update -q`, { stdio: 'inherit' });
    execSync(`${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server`, {
      stdio: 'inherit',
    });
  } catch (err) {
    fail(
      `could not install redis-server (${err.message}). Install it (Debian: apt-get install redis-server) ` +
        'or point SWITCHBOARD_TEST_REDIS_URL at a Redis the tests may use (they only touch their own key prefix).',
    );
  }
  if (!hasRedisServer()) fail('redis-server is still not on PATH after installing the package');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** True once something on `port` answers PING with +PONG. */
function pings(port) {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let got = '';
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      got += d.toString();
      if (got.includes('\r\n')) done(got.startsWith('+PONG'));
    });
  });
}

async function startPrivateRedis() {
  if (!hasRedisServer()) installRedisServer();
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  while (!(await pings(port))) {
    if (exited) fail(`the private redis-server on port ${port} exited at start (its stderr is above)`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      fail(`the private redis-server on port ${port} did not answer PING within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => exited || child.kill('SIGKILL') };
}

const filter = process.env.SWITCHBOARD_TEST_FILTER ?? '';
const files = walk('dist/test')
  .filter((f) => f.includes(filter))
  .sort();
if (files.length === 0) fail(`no test files found under dist/test matching "${filter}"`);

let redis;
const given = process.env.SWITCHBOARD_TEST_REDIS_URL;
if (given) {
  console.log(`run-tests: Redis tests use SWITCHBOARD_TEST_REDIS_URL=${given}`);
} else {
  redis = await startPrivateRedis();
  console.log(`run-tests: Redis tests use a private redis-server at ${redis.url}`);
}
const env = { ...process.env, SWITCHBOARD_TEST_REDIS_URL: given || redis.url };

/**
 * A cache entry of npx for this clone that an interrupted or raced run left without its
 * package.json makes every later `npx switchboard` fail with ENOENT; npm never repairs it, so it
 * is removed here and made again by the run below. Only entries linking to this clone are touched.
 */
function dropBrokenNpxEntries() {
  let cache;
  try {
    cache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
  } catch {
    return;
  }
  const npxDir = join(cache, '_npx');
  if (!existsSync(npxDir)) return;
  const here = realpathSync(process.cwd());
  for (const entry of readdirSync(npxDir)) {
    const dir = join(npxDir, entry);
    const own = join(dir, 'node_modules', 'switchboard');
    try {
      if (realpathSync(own) === here && !existsSync(join(dir, 'package.json'))) {
        rmSync(dir, { recursive: true, force: true });
        console.log(`run-tests: removed npx's broken cache entry ${dir}`);
      }
    } catch {
      // not an entry of this clone
    }
  }
}

// The docs tests run `npx switchboard …` as the docs write it. In a clone, npm's first `npx` of the
// project's own bin installs the clone into npm's cache, which runs its `prepare` build; two tests
// doing that at once race on the same cache folder and one fails to read its package.json. Take
// that first run here, once, before any test starts (later runs reuse the cache entry).
if (files.some((f) => f.includes(join('dist', 'test', 'docs')))) {
  dropBrokenNpxEntries();
  try {
    execSync('npx --yes switchboard --version', { stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
  } catch (err) {
    redis?.stop();
    fail(`\`npx switchboard --version\` failed before the docs tests (${err.message})`);
  }
}

const args = ['--test', '--test-concurrency=2', '--test-timeout=120000', ...files];
const tests = spawn(process.execPath, args, { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => tests.kill(signal));
tests.once('exit', (code, signal) => {
  redis?.stop();
  process.exit(code ?? (signal ? 1 : 0));
});
