import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

// dist/test/protocol/ctl.test.js → dist/src/cli/main.js, wherever the tests are run from.
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
// A clean environment: the caller's SWITCHBOARD_* must not leak into what is being tested.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
const KEY = 'ctl-key';

/** Run the CLI without blocking this process's event loop: the server under test lives here. */
function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...ENV, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('switchboard ctl', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const ctl = (...args: string[]) => run(['ctl', '--url', server.url, '--key', KEY, ...args]);

  before(async () => {
    server = await startTestServer({
      admin: { key: KEY },
      namespaces: {
        demo: {
          secret: 'site-secret',
          rocket: { path: '/demo', users: { boss: { secret: 'b', permissions: ['MANAGE'] } } },
        },
        other: {},
      },
    });
  });
  after(() => server.close());

  test('is listed in the overview and has its own --help', async () => {
    assert.match((await run(['--help'])).stdout, /ctl/);
    const help = await run(['ctl', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /switchboard ctl/);
  });

  test('namespaces as an aligned table, and as JSON with --json', async () => {
    const table = await ctl('namespaces');
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+CONNECTIONS\s+SUBSCRIPTIONS\s+HISTORY_SIZE\s+ROCKET_PATH$/);
    assert.ok(lines.some((l) => /^demo\s+0\s+0\s+100\s+\/demo$/.test(l)));
    // Every row starts its second column where the header does.
    const col = lines[0]!.indexOf('CONNECTIONS');
    for (const l of lines.slice(1)) assert.match(l.slice(col), /^\d/);

    const json = await ctl('--json', 'namespaces');
    assert.equal(json.code, 0);
    assert.deepEqual(
      JSON.parse(json.stdout)
        .map((n: { name: string }) => n.name)
        .sort(),
      ['chat', 'demo', 'other'],
    );
  });

  test('publish, then channels and history show it', async () => {
    const pub = await ctl('publish', 'demo', 'news', '{"hello":"world"}', '--event', 'greet');
    assert.equal(pub.code, 0, pub.stderr);
    assert.match(pub.stdout, /published to news as ord \d+ \(delivered 0, failed 0\)/);
    assert.equal((await ctl('publish', 'demo', 'news', 'plain text')).code, 0);

    const channels = await ctl('channels', 'demo');
    assert.match(channels.stdout, /^NAME\s+LAST_ORD\s+SUBSCRIBERS\s+LAST_TIME/);
    assert.match(channels.stdout, /\nnews\s+\d+\s+0\s+\d{4}-\d\d-\d\dT/);

    const history = await ctl('history', 'demo', 'news');
    const rows = history.stdout.trimEnd().split('\n');
    assert.equal(rows.length, 3);
    assert.match(rows[1]!, /greet\s+\{"hello":"world"\}$/);
    assert.match(rows[2]!, /plain text$/);
    const last = JSON.parse((await ctl('--json', 'history', 'demo', 'news', '--last', '1')).stdout);
    assert.deepEqual(
      last.publications.map((p: { data: unknown }) => p.data),
      ['plain text'],
    );
  });

  test('connections, send and kick act on a real WebSocket connection', async () => {
    const client = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    const id = [...server.hub.localConnections()].find((c) => c.namespace === 'demo')?.id;
    assert.ok(id);
    const list = await ctl('connections', 'demo');
    assert.match(list.stdout, /^NODE\s+ID\s+DIALECT\s+NAMESPACE/);
    assert.match(list.stdout, new RegExp(`\\n1\\s+${id}\\s+site\\s+demo`));

    assert.equal((await ctl('subscribe', id, 'a', 'b')).code, 0);
    assert.match((await ctl('connections')).stdout, /a,b/);
    const sent = await ctl('send', id, 'over the wire');
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal((await client.nextFrame()).data, 'over the wire');

    const kick = await ctl('kick', id, '--code', '4001', '--reason', 'ctl says bye');
    assert.equal(kick.code, 0, kick.stderr);
    assert.match(kick.stdout, /disconnected/);
    assert.deepEqual(await client.closed, { code: 4001, reason: 'ctl says bye' });
  });

  test('stats and topics', async () => {
    const stats = await ctl('stats');
    assert.equal(stats.code, 0, stats.stderr);
    // The cluster's totals (one node here), then a row per node under a NODE column.
    assert.match(stats.stdout, /^nodes\s+1$/m);
    assert.match(stats.stdout, /^accepted\s+\d+$/m);
    assert.match(stats.stdout, /^NODE\s+ENGINE\s+UPTIME\s+MEMORY\s+CONNECTIONS/m);
    assert.match(stats.stdout, /^1\s+memory\s+\d+s\s+[\d.]+ MiB\s+\d+/m);
    const local = await ctl('stats', '--local');
    assert.equal(local.code, 0, local.stderr);
    assert.match(local.stdout, /^nodes\s+1 \(node 1, --local\)$/m);
    await server.hub.queuePush('demo', 'jobs', { node: 1, client: '0', topic: 'jobs', data: 1 });
    const topics = await ctl('topics', 'demo');
    assert.match(topics.stdout.trimEnd(), /^TOPIC\s+DEPTH\s+CONSUMERS\s+DROPPED\njobs\s+1\s+0\s+0$/);
  });

  test('the key and URL can come from the environment; a MANAGE user with --user', async () => {
    const env = { SWITCHBOARD_URL: server.url, SWITCHBOARD_ADMIN_KEY: KEY };
    assert.equal((await run(['ctl', 'namespaces'], env)).code, 0);
    const manager = await run(['ctl', '--url', server.url, '--user', 'demo/boss:b', '--json', 'namespaces']);
    assert.equal(manager.code, 0, manager.stderr);
    assert.deepEqual(
      JSON.parse(manager.stdout).map((n: { name: string }) => n.name),
      ['demo'],
    );
  });

  test("failures exit 1 with the server's message; usage errors exit 2", async () => {
    const wrongKey = await run(['ctl', '--url', server.url, '--key', 'nope', 'namespaces']);
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /invalid admin key \(HTTP 401\)/);
    const unknown = await ctl('channels', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown namespace nope \(HTTP 404\)/);
    // A client id no node holds, well-formed or not, whatever the action: one sentence, no stack.
    for (const args of [
      ['kick', '123456789012345678'],
      ['send', '42', 'hi'],
      ['subscribe', 'not-an-id', 'news'],
    ]) {
      const gone = await ctl(...args);
      assert.equal(gone.code, 1, args.join(' '));
      assert.equal(gone.stderr, `switchboard ctl: no such connection: ${args[1]} (HTTP 404)\n`);
      assert.equal(gone.stdout, '');
    }
    // Usage mistakes: one line that names the mistake and points at --help, exit 2.
    for (const [args, said] of [
      [['channels'], 'channels takes NS'],
      [['frobnicate'], 'unknown command "frobnicate"'],
      [[], 'a command is required'],
      [['--frob', 'stats'], "Unknown option '--frob'"],
      [['stats', 'extra'], 'stats takes no arguments'],
    ] as const) {
      const usage = await run(['ctl', ...args]);
      assert.equal(usage.code, 2, args.join(' '));
      assert.equal(usage.stderr, `switchboard ctl: ${said} (see switchboard ctl --help)\n`);
    }
    const down = await run(['ctl', '--url', 'http://127.0.0.1:1', 'stats']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach/);
  });
});
