#!/usr/bin/env node
// The browser tests drive Debian's Chromium through playwright-core (playwright's own browser
// download cannot run on our machines). Install it when it is missing instead of skipping the
// tests; fail loudly when that is impossible.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
if (existsSync(CHROMIUM)) process.exit(0);

const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
console.log(`${CHROMIUM} is missing: installing Debian's chromium package for the browser tests`);
try {
  execSync(`${sudo}apt-get update -q`, { stdio: 'inherit' });
  execSync(`${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium`, { stdio: 'inherit' });
} catch (err) {
  console.error(`could not install chromium (${err.message}); the browser tests need ${CHROMIUM}`);
  process.exit(1);
}
