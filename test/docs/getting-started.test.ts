// docs/getting-started.md, run as a reader would: every `$ command` of its shell blocks, in order,
// as written (the guide's two ports are swapped for free ones), each output compared with the one
// the guide shows, and the page opened in Chromium where the guide says to open it. A change to
// the guide, the example files or the server that breaks a step fails here.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';

const ROOT = process.cwd();
const GUIDE = readFileSync(join(ROOT, 'docs/getting-started.md'), 'utf8');
const SB = 'http://127.0.0.1:6789';
const BACKEND = 'http://127.0.0.1:3000';
// A clean environment: the caller's SWITCHBOARD_* must not reach the server under test.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));

interface Step {
  command: string;
  /** The lines the guide shows under the command. */
  output: string[];
}

/** Every `$ ` line of the guide's ```sh blocks, with the lines shown below it. */
function steps(markdown: string): Step[] {
  const out: Step[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      if (line.startsWith('$ ')) out.push({ command: line.slice(2), output: [] });
      else if (line !== '' && out.length > 0) out.at(-1)!.output.push(line);
    }
  }
  return out;
}

/**
 * Does `actual` read as the guide's `expected`? Runs of spaces count as one (tables align to
 * their content), `…` inside a line stands for any text, and a line that is only `…` for any
 * number of lines.
 */
function matches(actual: string[], expected: string[]): boolean {
  const norm = (l: string) => l.trim().replace(/\s+/g, ' ');
  const re = (l: string) =>
    new RegExp(
      `^${norm(l)
        .split('…')
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
  const walk = (a: number, e: number): boolean => {
    if (e === expected.length) return a === actual.length;
    if (expected[e]!.trim() === '…') return walk(a, e + 1) || (a < actual.length && walk(a + 1, e));
    return a < actual.length && re(expected[e]!).test(norm(actual[a]!)) && walk(a + 1, e + 1);
  };
  return walk(0, 0);
}

/** A long-running command of the guide, in its own process group so that npx's child goes too. */
class Background {
  private text = '';
  readonly child: ChildProcess;
  constructor(
    readonly command: string,
    env: Record<string, string>,
  ) {
    this.child = spawn('sh', ['-c', command], {
      cwd: ROOT,
      env: { ...ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.text += d.toString();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.text += d.toString();
    });
  }
  /** Resolves with the first line `accept` takes; fails when the process exits first. */
  // Generous: six test processes share two cores, and npx alone may take seconds to start.
  line(accept: (line: string) => boolean, ms = 90_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + ms;
      const poll = () => {
        const found = this.text.split('\n').find(accept);
        if (found !== undefined) return resolve(found);
        if (this.child.exitCode !== null) {
          return reject(new Error(`${this.command}: exited early:\n${this.text}`));
        }
        if (Date.now() > deadline)
          return reject(new Error(`${this.command}: no such line in time:\n${this.text}`));
        setTimeout(poll, 50);
      };
      poll();
    });
  }
  lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }
  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-this.child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}

function run(command: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd: ROOT, env: { ...ENV, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/**
 * The first `npx switchboard` of a checkout links the package into npm's npx cache, which takes
 * npm half a minute on a busy machine. Done here once, in the foreground and never interrupted:
 * an npx killed during that install (as a test's clean-up would kill the server's) leaves a cache
 * entry without its package.json, and every later npx for this checkout then fails with ENOENT.
 * Such an entry, for this checkout only, is removed and the install done again.
 */
async function warmNpx(): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const r = await run('npx switchboard --version', {});
    if (r.code === 0) return;
    const broken = /(\S*_npx\/[0-9a-f]+)\/package\.json/.exec(r.out)?.[1];
    const link = broken && join(broken, 'node_modules', 'switchboard');
    const ours = link && existsSync(link) && resolve(broken!, 'node_modules', readlinkSync(link)) === ROOT;
    assert.ok(attempt === 0 && ours, `npx switchboard --version failed:\n${r.out}`);
    rmSync(broken!, { recursive: true, force: true });
  }
}

describe('docs/getting-started.md, every step as written', () => {
  const background: Background[] = [];
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
    for (const b of background) b.stop();
  });

  test('the guide has the steps this test knows how to take', () => {
    assert.deepEqual(
      steps(GUIDE).map((s) => s.command.split(' ').slice(0, 3).join(' ')),
      [
        'npm ci',
        'npx switchboard serve',
        "curl -s 'http://127.0.0.1:6789/token?site=demo'",
        'node examples/getting-started/backend.mjs',
        'curl -s -X',
        "curl -s 'http://127.0.0.1:3000/auth?channel=news'",
        'curl -s -X',
        'curl -s -X',
        'curl -s -X',
        'node examples/getting-started/mesh-backend.mjs',
        'node examples/getting-started/gateway-client.mjs "hi',
        'npx switchboard ctl',
        'npx switchboard ctl',
      ],
    );
  });

  test('runs them: server, backend, posts, the page in Chromium with a resume, the mesh backend', async () => {
    let sb = '';
    let backend = '';
    let context: BrowserContext | undefined;
    let page: Page | undefined;
    // What the guide's fixed addresses are on this run.
    const swap = (text: string, pairs: [string, string][]) =>
      pairs.reduce((t, [from, to]) => (from === '' ? t : t.replaceAll(from, to)), text);
    const here = (text: string) =>
      swap(text, [
        [SB, sb],
        [BACKEND, backend],
      ]);
    const asWritten = (text: string) =>
      swap(text, [
        [sb, SB],
        [backend, BACKEND],
      ]);
    const env = () => ({ SB_URL: sb, SWITCHBOARD_URL: sb });
    const shown = async () => page!.$$eval('#messages li', (items) => items.map((i) => i.textContent ?? ''));
    const openPage = async () => {
      page = await context!.newPage();
      page.setDefaultTimeout(60_000); // a loaded machine; the waits end as soon as the page shows it
      await page.goto(`${backend}/`);
      await page.waitForFunction(
        () => document.querySelector('#state')?.textContent?.startsWith('subscribed'),
        {
          timeout: 15_000,
        },
      );
    };

    await warmNpx();
    for (const step of steps(GUIDE)) {
      const { command, output } = step;
      if (command === 'npm ci') continue; // what made this checkout; test/deploy/package.test.ts installs a package
      if (command.startsWith('npx switchboard serve')) {
        // The guide's config, on a free port instead of 6789.
        const server = new Background(command, { SWITCHBOARD_LISTEN__PORT: '0' });
        background.push(server);
        const line = await server.line((l) => l.includes('"msg":"switchboard listening"'));
        sb = JSON.parse(line).url;
        continue;
      }
      if (command.startsWith('node examples/getting-started/backend.mjs')) {
        const proc = new Background(command, { ...env(), PORT: '0' });
        background.push(proc);
        const line = await proc.line((l) => l.startsWith('backend listening on'));
        backend = /http:\/\/127\.0\.0\.1:\d+/.exec(line)![0];
        assert.ok(matches([asWritten(line)], output), `${command}\n${line}`);
        continue;
      }
      if (command.startsWith('node examples/getting-started/mesh-backend.mjs')) {
        const proc = new Background(command, env());
        background.push(proc);
        const line = await proc.line((l) => l.startsWith('mesh backend consuming'));
        assert.ok(matches([asWritten(line)], output), `${command}\n${line}`);
        continue;
      }
      // Step 3: the page is opened before the "live" post and closed after it; it is opened
      // again after the two posts made while it was closed.
      if (command.includes('"text":"live"')) {
        browser = await launchChromium();
        context = await browser.newContext();
        await openPage();
      }
      const result = await run(here(command), env());
      const lines = asWritten(result.out)
        .split('\n')
        .filter((l) => l !== '');
      assert.equal(result.code, 0, `${command}\n${result.out}`);
      assert.ok(
        matches(lines, output),
        `${command}\nexpected:\n${output.join('\n')}\ngot:\n${lines.join('\n')}`,
      );

      if (command.includes('"text":"live"')) {
        await page!.waitForFunction(() => document.querySelectorAll('#messages li').length > 0);
        assert.deepEqual(await shown(), ['live'], 'a first visit shows new messages only');
        // The page's form posts through the backend too.
        await page!.fill('input[name=text]', 'typed in the page');
        await page!.click('button');
        await page!.waitForFunction(() => document.querySelectorAll('#messages li').length === 2);
        assert.deepEqual(await shown(), ['live', 'typed in the page']);
        await page!.close();
      }
      if (command.includes('"text":"and this"')) {
        await openPage();
        assert.match((await page!.textContent('#state')) ?? '', /^subscribed, resumed after \d+$/);
        await page!.waitForFunction(() => document.querySelectorAll('#messages li').length >= 2);
        assert.deepEqual(await shown(), ['while you were away', 'and this'], 'exactly what it missed');
      }
    }
    // The ctl steps saw the page's subscription and the history: check the rows, not just the headers.
    const history = await run('npx switchboard ctl history demo news', env());
    for (const text of ['hello', 'live', 'typed in the page', 'while you were away', 'and this']) {
      assert.match(history.out, new RegExp(`\\{"text":"${text}"\\}`));
    }
    const connections = await run('npx switchboard ctl connections demo', env());
    assert.match(connections.out, /\n1\s+\d+\s+site\s+demo\s+news\s/);
  });
});
