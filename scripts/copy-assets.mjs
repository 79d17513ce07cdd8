#!/usr/bin/env node
// tsc compiles only TypeScript: files the compiled modules load at run time from next to
// themselves (the Redis engine's .lua scripts, say) are copied from src/ to the same place under
// dist/src/, so that both a build in a clone and the published package (which ships dist/src)
// find them. Run by `npm run build` after tsc.
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

const ASSET_EXTENSIONS = new Set(['.lua']);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (ASSET_EXTENSIONS.has(extname(name))) out.push(path);
  }
  return out;
}

for (const file of walk('src')) {
  const target = join('dist', file);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
}
