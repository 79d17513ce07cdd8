#!/usr/bin/env node
// Runs the compiled test files with Node's own test runner. Node 20 has no glob support in
// `--test`, so the files are listed here; SWITCHBOARD_TEST_FILTER narrows the run to paths
// containing that text (handy while working on one dialect).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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

const filter = process.env.SWITCHBOARD_TEST_FILTER ?? '';
const files = walk('dist/test')
  .filter((f) => f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no test files found under dist/test matching "${filter}"`);
  process.exit(1);
}
const args = ['--test', '--test-concurrency=2', '--test-timeout=120000', ...files];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
