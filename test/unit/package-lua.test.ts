// The Redis engine reads its Lua scripts from files next to its compiled code: every script in
// the source tree must be in the build and in the npm package, or a packed install cannot start
// the engine.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';

const scripts = readdirSync('src/engines/redis/lua').filter((n) => n.endsWith('.lua'));

describe('packaging: the Redis engine Lua scripts', () => {
  it('copies every script into dist and lists it in the npm package', () => {
    assert.ok(scripts.includes('publish.lua'), `scripts found: ${scripts.join(', ')}`);
    for (const name of scripts)
      assert.ok(existsSync(`dist/src/engines/redis/lua/${name}`), `${name} in dist`);
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' }),
    ) as { files: { path: string }[] }[];
    const paths = new Set(packed[0]!.files.map((f) => f.path));
    for (const name of scripts) {
      assert.ok(paths.has(`dist/src/engines/redis/lua/${name}`), `${name} in the package`);
    }
  });

  it('opens each script with named locals for its KEYS and ARGV', async () => {
    const { readFileSync } = await import('node:fs');
    for (const name of scripts) {
      const code = readFileSync(`src/engines/redis/lua/${name}`, 'utf8')
        .split('\n')
        .filter((l) => !l.startsWith('--') && l.trim() !== '');
      // Past the opening locals, KEYS[...] and ARGV[...] are never indexed again (consumers-register
      // walks its variable-length lists, named first too).
      const firstOther = code.findIndex((l) => !/^local \w+ = (KEYS|ARGV|tonumber\(ARGV)/.test(l));
      const body = code.slice(Math.max(0, firstOther)).join('\n');
      assert.doesNotMatch(body, /\b(KEYS|ARGV)\[\d+\]/, `${name} indexes KEYS/ARGV past its opening locals`);
    }
  });
});
