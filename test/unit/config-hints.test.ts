import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, type ConfigIssue, loadConfig } from '../../src/app/config.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-hints-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}
const BASE = 'listen: { port: 0 }\nnamespaces: { demo: { secret: s } }\n';

function failure(fn: () => unknown): { issues: ConfigIssue[]; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return { issues: err.issues, message: err.message };
  }
  assert.fail('expected a ConfigError');
}
const at = (issues: ConfigIssue[], path: string) => issues.find((i) => i.path === path)!;

describe('config errors say where a value came from, what it was, and what was meant', () => {
  test('a bad value from an env var names the variable and what was given', () => {
    const { issues, message } = failure(() =>
      loadConfig({ argv: { config: file(BASE) }, env: { SWITCHBOARD_LISTEN__PORT: 'eighty' } }),
    );
    assert.equal(at(issues, 'listen.port').hint, 'from SWITCHBOARD_LISTEN__PORT; given the text "eighty"');
    assert.match(
      message,
      /listen\.port: expected a port number 0-65535 \(from SWITCHBOARD_LISTEN__PORT; given the text "eighty"\)/,
    );
  });

  test('a bad value in the file says what type was given', () => {
    const { issues } = failure(() =>
      loadConfig({ argv: { config: file(`${BASE}limits: { max_connections: [1, 2] }\n`) }, env: {} }),
    );
    assert.equal(at(issues, 'limits.max_connections').hint, 'given a list');
  });

  test('an unknown key gets the nearest known key, at any depth', () => {
    const { issues } = failure(() =>
      loadConfig({
        argv: { config: file('listen: { prot: 1 }\nnamespaces: { demo: { secert: s } }\n') },
        env: {},
      }),
    );
    assert.equal(at(issues, 'listen.prot').hint, 'did you mean listen.port?');
    assert.equal(at(issues, 'namespaces.demo.secert').hint, 'did you mean namespaces.demo.secret?');
    assert.equal(at(issues, 'listen.prot').message, 'unknown key');
  });

  test('an unknown key from an env var or --set names it, and the key meant', () => {
    const { issues } = failure(() =>
      loadConfig({
        argv: { config: file(BASE), set: ['limits.max_conections=5'] },
        env: { SWITCHBOARD_LISTN__HOST: 'x' },
      }),
    );
    assert.equal(at(issues, 'listn').hint, 'from SWITCHBOARD_LISTN__HOST; did you mean listen?');
    assert.equal(
      at(issues, 'limits.max_conections').hint,
      'from --set limits.max_conections=5; did you mean limits.max_connections?',
    );
  });

  test('a key nothing resembles gets no guess; a flag is named', () => {
    const { issues } = failure(() =>
      loadConfig({ argv: { config: file(`${BASE}zzzzzzzz: 1\n`), port: Number.NaN }, env: {} }),
    );
    assert.equal(at(issues, 'zzzzzzzz').hint, undefined);
    assert.equal(at(issues, 'listen.port').hint, 'from --port');
  });

  test('a YAML syntax error ends with its position, not a dangling colon', () => {
    const { issues } = failure(() => loadConfig({ argv: { config: file('listen: { port: [1\n') }, env: {} }));
    for (const i of issues) assert.match(i.message, /at line \d+, column \d+$/);
  });
});
