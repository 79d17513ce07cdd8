#!/usr/bin/env node
// Completes package-lock.json with the platform-specific optional packages (e.g. Biome's macOS
// and Windows binaries) that the registry mirror of our build machines does not serve. npm then
// leaves them out of the lockfile, and `npm ci` refuses that lockfile as "out of sync" (npm/cli
// #9846). The entries added here name only version, os, cpu and libc, so npm skips them on
// every other platform and would fetch them normally where they match. Run after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = 'package-lock.json';
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const packages = lock.packages;

function platformOf(name) {
  const os = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openbsd', 'sunos', 'aix'].find((o) =>
    name.includes(`-${o}-`),
  );
  const cpu = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64'].find(
    (c) => name.includes(`-${c}`) || name.endsWith(c),
  );
  if (!os || !cpu) return undefined;
  const entry = { os: [os], cpu: [cpu] };
  if (os === 'linux') entry.libc = [name.includes('musl') ? 'musl' : 'glibc'];
  return entry;
}

let added = 0;
for (const [path, pkg] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const target = `node_modules/${dep}`;
    if (packages[target] || packages[`${path}/node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform) {
      console.error(`cannot tell the platform of missing optional dependency ${dep}; add it by hand`);
      process.exitCode = 1;
      continue;
    }
    packages[target] = { version, ...platform, dev: pkg.dev || undefined, optional: true };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
lock.packages = sorted;
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entr${added === 1 ? 'y' : 'ies'}`);
