import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exitCode, waitForListening } from '../helpers/cli-process.js';

// dist/test/protocol/cli.test.js → dist/src/cli/main.js, wherever the tests are run from.
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// A clean environment: the caller's SWITCHBOARD_* must not leak into what is being tested.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: ENV, timeout: 20000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = 'listen: { host: 127.0.0.1, port: 0 }\nlog: { level: info }\nnamespaces: { a: { secret: s } }\n';
const BAD = 'listen: { port: 0 }\nnamespaces:\n  a: { token_ttl: zero, colour: blue }\n';

describe('switchboard CLI', () => {
  test('--help lists the commands on stdout; each command has its own --help', () => {
    const r = cli('--help');
    assert.equal(r.code, 0);
    for (const cmd of ['serve', 'check-config', 'gen-config']) assert.match(r.stdout, new RegExp(cmd));
    for (const cmd of ['serve', 'check-config', 'gen-config']) {
      const c = cli(cmd, '--help');
      assert.equal(c.code, 0, cmd);
      assert.match(c.stdout, new RegExp(`switchboard ${cmd}`));
    }
    assert.match(cli('--version').stdout, /^\d+\.\d+\.\d+/);
  });

  test('an unknown command or option prints usage on stderr, exit 2', () => {
    const r = cli('frobnicate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    assert.match(r.stderr, /Usage: switchboard/);
    assert.equal(cli().code, 2);
    const o = cli('check-config', '--bogus', 'x');
    assert.equal(o.code, 2);
    assert.match(o.stderr, /bogus/);
  });

  test('check-config: ok and exit 0 for a good file', () => {
    const path = join(dir, 'good.yaml');
    writeFileSync(path, GOOD);
    const r = cli('check-config', path);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `ok: ${path}`);
  });

  test('check-config: every bad key by path on stderr, exit 2', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, BAD);
    const r = cli('check-config', path);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(path));
    assert.match(r.stderr, /namespaces\.a\.token_ttl: expected a positive integer/);
    assert.match(r.stderr, /namespaces\.a\.colour: unknown key/);
    assert.equal(cli('check-config').code, 2);
    assert.equal(cli('check-config', join(dir, 'missing.yaml')).code, 2);
  });

  test('gen-config prints a config that check-config accepts; --out refuses to overwrite', () => {
    const r = cli('gen-config');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /namespaces:/);
    const out = join(dir, 'generated.yaml');
    assert.equal(cli('gen-config', '--out', out).code, 0);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.equal(cli('check-config', out).code, 0);
    const first = readFileSync(out, 'utf8');
    const again = cli('gen-config', '--out', out);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /--force/);
    assert.equal(readFileSync(out, 'utf8'), first);
    assert.equal(cli('gen-config', '--out', out, '--force').code, 0);
    assert.notEqual(readFileSync(out, 'utf8'), first);
  });

  test('serve refuses a bad config with exit 2 and the key path', () => {
    const path = join(dir, 'bad-serve.yaml');
    writeFileSync(path, BAD);
    const r = cli('serve', '--config', path);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /namespaces\.a\.token_ttl/);
    const flag = cli('serve', '--config', join(dir, 'good.yaml'), '--port', 'eighty');
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /listen\.port/);
  });

  test('serve listens, answers HTTP, and exits 0 on SIGTERM', async () => {
    const path = join(dir, 'serve.yaml');
    writeFileSync(path, GOOD);
    const child = spawn(process.execPath, [MAIN, 'serve', '--config', path, '--port', '0'], { env: ENV });
    const { url } = await waitForListening(child);
    const res = await fetch(`${url}/healthz`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    child.kill('SIGTERM');
    assert.equal(await exitCode(child), 0);
  });

  test('serve without a config runs the demo and prints its banner with the real port', async () => {
    const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0'], { env: ENV });
    const { url, stdout } = await waitForListening(child);
    const port = new URL(url).port;
    // The banner follows the listening line (it needs the real port): give it a moment.
    for (let i = 0; i < 100 && !stdout().includes('rocket    vhost'); i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.match(stdout(), /DEMO/);
    assert.ok(stdout().includes(`ws://127.0.0.1:${port}/demo`));
    child.kill('SIGINT');
    assert.equal(await exitCode(child), 0);
  });

  test('the demo trusts loopback for "default": the CONNMIX docs\' keyless curl publish works verbatim', async () => {
    const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0'], { env: ENV });
    try {
      const { url } = await waitForListening(child);
      // curl -X POST http://127.0.0.1:6789/v1/mesh/publish -d '{"c":"channel1","d":"Hello,World!"}'
      // sends exactly this: no key, curl's form content type, the JSON as the body.
      const res = await fetch(`${url}/v1/mesh/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '{"c":"channel1","d":"Hello,World!"}',
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { E: null, r: { s: 0, f: 0 } });
      // Trust is per namespace: "demo" still wants its key.
      const demo = await fetch(`${url}/v1/mesh/publish?site=demo`, {
        method: 'POST',
        body: '{"c":"a","d":"b"}',
      });
      assert.equal(demo.status, 401);
      await demo.arrayBuffer();
    } finally {
      child.kill('SIGINT');
      await exitCode(child);
    }
  });
});
