// Every `switchboard …` command that README.md and docs/ show works as written:
//  - in code blocks, each command line is run (in a scratch directory, the binary on the PATH as
//    an installed package puts it there; `npx switchboard` is the same binary, found by npx in a
//    clone, which docs/getting-started.md's test runs as such) and checked the way the text says;
//    a command this test does not know fails it, so a new example cannot go unchecked;
//  - synopses and commands quoted in running text must name a real subcommand, and every option
//    they give must be one that subcommand's --help lists.
// Only what the commands need is changed: a free port instead of 6789 (set through the server's
// own environment overrides), the test's private Redis where the text says Redis, and a scratch
// file where the text names a path under /etc.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

const ROOT = process.cwd();
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const SUBCOMMANDS = ['serve', 'check-config', 'gen-config', 'ctl'];
// A clean environment: the caller's SWITCHBOARD_* must not reach what is being tested.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
const REDIS_URL = process.env.SWITCHBOARD_TEST_REDIS_URL;

/** README.md and every page under docs/ except the guide, whose own test runs it step by step. */
function pages(): { file: string; text: string }[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
    );
  return ['README.md', ...walk('docs')]
    .filter((f) => f !== join('docs', 'getting-started.md'))
    .map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));
}

interface Example {
  file: string;
  /** The command without its `$ ` prompt, `npx ` or trailing `# comment`. */
  command: string;
  /** The lines the page shows under it, up to the next command. */
  output: string[];
}

const isSynopsis = (c: string) => /[[<|]/.test(c.replace(/'[^']*'/g, ''));

function examples(): Example[] {
  const out: Example[] = [];
  for (const { file, text } of pages()) {
    for (const block of text.matchAll(/```[^\n]*\n([\s\S]*?)```/g)) {
      let last: Example | undefined;
      for (const raw of block[1]!.split('\n')) {
        const line = raw.trim();
        const prompted = line.startsWith('$ ');
        const bare = prompted ? line.slice(2) : line;
        if (/^(npx )?switchboard /.test(bare) && !isSynopsis(bare)) {
          const command = bare
            .replace(/^npx /, '')
            .replace(/\s+#.*$/, '')
            .trim();
          last = { file, command, output: [] };
          out.push(last);
        } else if (prompted) last = undefined;
        else if (last && line !== '') last.output.push(line);
      }
    }
  }
  return out;
}

/** Every `switchboard …` in backticks or code, synopses included, for the --help check. */
function mentions(): { file: string; command: string }[] {
  const out: { file: string; command: string }[] = [];
  for (const { file, text } of pages()) {
    const spans = [
      ...[...text.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].flatMap((b) => b[1]!.split('\n')),
      ...[...text.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!),
    ];
    for (const span of spans) {
      // At the start of the span: `journalctl -u switchboard -o cat` is not a switchboard command.
      const m = /^(?:\$ )?(?:npx )?switchboard ((?:-|[a-z])[^\s#]*(?: [^#]*)?)/.exec(span.trim());
      if (m) out.push({ file, command: `switchboard ${m[1]!.trim()}` });
    }
  }
  return out;
}

function run(
  args: string,
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', args], { cwd, env: { ...ENV, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** A `serve` command until it logs that it listens; then SIGTERM, and its exit code. */
async function serveUntilListening(command: string, cwd: string, env: Record<string, string>) {
  const child: ChildProcess = spawn('sh', ['-c', `exec ${command}`], {
    cwd,
    env: { ...ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command}: no listening line:\n${text}`)), 30_000);
      const poll = setInterval(() => {
        const logs = text
          .split('\n')
          .filter((l) => l.startsWith('{') && l.endsWith('}'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        // With --workers, every worker listens before the SIGTERM: a worker still starting then
        // is not what these examples are about.
        const workers = logs.find((l) => l.msg === 'starting workers')?.workers;
        const listening = logs.filter((l) => l.msg === 'switchboard listening' && typeof l.url === 'string');
        if (listening.length > 0 && (typeof workers !== 'number' || listening.length >= workers)) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve(listening[0]!);
        }
      }, 50);
      void exited.then((code) => {
        clearTimeout(timer);
        clearInterval(poll);
        reject(new Error(`${command}: exited ${code} before listening:\n${text}`));
      });
    });
    const health = await fetch(`${listening.url}/healthz`);
    assert.equal(health.status, 200, `${command}: /healthz`);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `${command}: exit code after SIGTERM\n${text}`);
    return listening;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** The port an example says is taken, held for as long as the command runs. */
function holdPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

describe('README and docs: every switchboard command as written', () => {
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-doc-commands-'));
    // The binary on the PATH, as `npm install -g` or node_modules/.bin puts it there.
    writeFileSync(join(dir, 'switchboard'), `#!/bin/sh\nexec "${process.execPath}" "${MAIN}" "$@"\n`);
    chmodSync(join(dir, 'switchboard'), 0o755);
    env = { PATH: `${dir}:${process.env.PATH}`, SWITCHBOARD_LISTEN__PORT: '0' };
  });
  after(async () => {
    await ctlServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('synopses and quoted commands name real subcommands and options', async () => {
    const helps = new Map<string, string>();
    const help = async (sub: string) => {
      if (!helps.has(sub)) {
        const r = await run(`switchboard ${sub} --help`, dir, env);
        assert.equal(r.code, 0, `switchboard ${sub} --help: ${r.err}`);
        helps.set(sub, r.out);
      }
      return helps.get(sub)!;
    };
    const found = mentions();
    assert.ok(found.length > 20, `only ${found.length} mentions found: is the extraction broken?`);
    for (const { file, command } of found) {
      const [, first, ...rest] = command.split(/\s+/);
      if (first!.startsWith('-')) {
        // `switchboard --help`, `--version`: the top level's own options.
        assert.match(await help(''), new RegExp(`${first}\\b`), `${file}: ${command}`);
        continue;
      }
      // Log messages ("switchboard listening", "switchboard stopped") and prose are not commands.
      if (!SUBCOMMANDS.includes(first!)) {
        assert.ok(
          ['listening', 'stopped', 'switchboard).', 'works'].some((w) => first!.startsWith(w)) ||
            first === 'ctl:',
          `${file}: "${command}" names no subcommand of switchboard (${SUBCOMMANDS.join(', ')})`,
        );
        continue;
      }
      const text = await help(first!);
      for (const option of rest.join(' ').matchAll(/(?:^|[\s[|])(--?[a-z][a-z-]*)/g)) {
        assert.ok(
          new RegExp(`(^|[\\s,(])${option[1]}\\b`, 'm').test(text),
          `${file}: "${command}": ${option[1]} is not an option of switchboard ${first} (see its --help)`,
        );
      }
    }
  });

  test('every command line of a code block runs as the text says', async () => {
    const all = examples();
    const seen = new Set<string>();
    for (const example of all) {
      const { file, command, output } = example;
      const where = `${file}: ${command}`;
      seen.add(command);
      if (command === 'switchboard gen-config --out switchboard.yaml') {
        rmSync(join(dir, 'switchboard.yaml'), { force: true });
        const r = await run(command, dir, env);
        assert.equal(r.code, 0, `${where}\n${r.err}`);
        assert.ok(existsSync(join(dir, 'switchboard.yaml')), where);
      } else if (command === 'switchboard check-config switchboard.yaml') {
        const r = await run(command, dir, env);
        assert.equal(r.code, 0, `${where}\n${r.out}${r.err}`);
      } else if (
        /^switchboard serve --config (switchboard|\/etc\/switchboard)\.yaml --workers auto$/.test(command)
      ) {
        // "(Redis engine)": the generated file, on the test's private Redis under its own prefix.
        assert.ok(
          REDIS_URL,
          'SWITCHBOARD_TEST_REDIS_URL is needed for --workers (scripts/run-tests.mjs sets it)',
        );
        const file = command.includes('/etc/') ? join(dir, 'etc-switchboard.yaml') : 'switchboard.yaml';
        if (command.includes('/etc/'))
          writeFileSync(file, readFileSync(join(dir, 'switchboard.yaml'), 'utf8'));
        await serveUntilListening(command.replace('/etc/switchboard.yaml', file), dir, {
          ...env,
          SWITCHBOARD_ENGINE__TYPE: 'redis',
          SWITCHBOARD_ENGINE__URL: REDIS_URL,
          SWITCHBOARD_ENGINE__PREFIX: `sbtest:doc-commands:${randomBytes(4).toString('hex')}:`,
        });
      } else if (command === 'switchboard serve --config switchboard.yaml' && output.length === 0) {
        await serveUntilListening(command, dir, env);
      } else if (command === 'switchboard serve --config switchboard.yaml') {
        // The start-up failure example: the port the file names is taken.
        const held = await holdPort();
        try {
          const r = await run(command, dir, { ...env, SWITCHBOARD_LISTEN__PORT: String(held.port) });
          assert.equal(r.code, 1, where);
          assert.equal(r.err.trim(), output.join('\n').replace('6789', String(held.port)), where);
        } finally {
          held.server.close();
        }
      } else if (command === 'switchboard serve --config mesh.yaml') {
        // "the YAML above": the page's first YAML block.
        const yaml = /```yaml\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, file), 'utf8'))![1]!;
        writeFileSync(join(dir, 'mesh.yaml'), yaml);
        await serveUntilListening(command, dir, env);
      } else if (command.startsWith('switchboard ctl ')) {
        await ctlExample(example, dir, env);
      } else {
        assert.fail(`${where}: this test does not know how to run it; add it here`);
      }
    }
    assert.ok(
      seen.has('switchboard gen-config --out switchboard.yaml') && seen.size >= 8,
      [...seen].join('\n'),
    );
  });
});

let ctlServer: { url: string; key: string; stop(): Promise<void> } | undefined;

/**
 * The ctl examples of docs/operations.md, against the demo setup (`switchboard serve` with no
 * config: namespace `demo`, an admin key), with `KEY` and the URL in the environment as the text
 * has them. The figures the page shows are examples; the tables' headers are the check.
 */
async function ctlExample(example: Example, dir: string, env: Record<string, string>): Promise<void> {
  if (!ctlServer) {
    const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0'], { cwd: dir, env: ENV });
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const found = await new Promise<{ url: string; key: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo server did not start:\n${text}`)), 30_000);
      const poll = setInterval(() => {
        const url = /"url":"(http:[^"]+)"/.exec(text)?.[1];
        const key = /^\s*key\s+(\S+)$/m.exec(text)?.[1];
        if (url && key) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve({ url, key });
        }
      }, 50);
    });
    ctlServer = {
      ...found,
      stop: async () => {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      },
    };
  }
  const { command, output, file } = example;
  const r = await run(command, dir, {
    ...env,
    KEY: ctlServer.key,
    SWITCHBOARD_URL: ctlServer.url,
    SWITCHBOARD_ADMIN_KEY: ctlServer.key,
  });
  const where = `${file}: ${command}\n${r.out}${r.err}`;
  if (command.startsWith('switchboard ctl kick ')) {
    // The page's id is an example: no node holds it, and ctl says so in one line.
    assert.equal(r.code, 1, where);
    assert.match(r.err, /^switchboard ctl: no such connection: \d+ \(HTTP 404\)\n$/, where);
    return;
  }
  assert.equal(r.code, 0, where);
  const header = output.find((l) => /^[A-Z_]+(\s+[A-Z_]+)+$/.test(l));
  if (header)
    assert.ok(
      r.out.split('\n').some((l) => l.trim().replace(/\s+/g, ' ') === header.replace(/\s+/g, ' ')) ||
        r.out.trim() === '(none)',
      where,
    );
  else if (output[0]?.startsWith('published to '))
    assert.match(r.out, /^published to news as ord \d+ \(delivered \d+, failed \d+\)$/m, where);
  else if (output[0]?.startsWith('nodes ')) assert.match(r.out, /^nodes\s+1$/m, where);
}
