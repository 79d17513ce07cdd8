// Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core (no
// downloaded browser), launched the same way by every test that needs a real page.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Chromium may still be being installed when the run starts (scripts/ensure-chromium.mjs): wait
 * up to `timeoutMs` for the binary, then fail the test, never skip it. The flags keep a headless
 * run in a container quiet and self-contained (no sandbox, GPU, updates or sync traffic).
 */
export async function launchChromium(timeoutMs = 180_000): Promise<Browser> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(CHROMIUM_PATH) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
  assert.ok(
    existsSync(CHROMIUM_PATH),
    `${CHROMIUM_PATH} is missing: install Debian's chromium package (npm test runs scripts/ensure-chromium.mjs)`,
  );
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
