// `switchboard ctl` against two real `serve` processes sharing a Redis: asked at either node,
// `stats` counts both nodes' connections and lists each node on its own row, and `connections`
// names the node that holds each connection in its NODE column; a kick by id reaches the
// connection on the other node, and an id no node holds is "no such connection".
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { RawClient } from '../helpers/ws-client.js';
import { deleteRedisPrefix, MAIN, type NodeProcess, removeDir, SITE, startNode, tempDir } from './helpers.js';

const prefix = `sbtest:ctl:${process.pid}:${randomBytes(4).toString('hex')}:`;
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));

function ctl(node: NodeProcess, ...args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, 'ctl', '--url', node.url, ...args], { env: ENV });
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

/** The rows of an aligned table under its header line, as column → cell. */
function rows(table: string, header: RegExp): Record<string, string>[] {
  const lines = table.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  assert.ok(start >= 0, `no table with header ${header} in:\n${table}`);
  // Cells may hold spaces ("72.9 MiB"): cut each line where the header's columns start.
  const head = lines[start]!;
  const cols = [...head.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
  const out: Record<string, string>[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    out.push(
      Object.fromEntries(
        cols.map((c, i) => [c.name, line.slice(c.at, cols[i + 1]?.at ?? line.length).trim()]),
      ),
    );
  }
  return out;
}

describe('switchboard ctl on a two-node cluster', () => {
  const dir = tempDir();
  const nodes: NodeProcess[] = [];
  const clients: RawClient[] = [];

  before(async () => {
    nodes.push(await startNode({ nodeId: 41, prefix, dir }), await startNode({ nodeId: 42, prefix, dir }));
    // One site connection on node 41, two on node 42.
    for (const node of [nodes[0]!, nodes[1]!, nodes[1]!]) {
      clients.push(await RawClient.connect(node.wsUrl(`/ws?site=${SITE.name}`)));
    }
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const n of nodes) await n.stop();
    await deleteRedisPrefix(prefix);
    removeDir(dir);
  });

  test('stats at either node: both nodes counted, one row per node under NODE', async () => {
    for (const node of nodes) {
      const out = await ctl(node, 'stats');
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /^nodes\s+2$/m);
      assert.match(out.stdout, /^connections\s+3$/m);
      assert.match(out.stdout, /^ {2}site\s+3$/m);
      const perNode = rows(out.stdout, /^NODE\s+ENGINE/);
      assert.deepEqual(
        perNode.map((r) => [r.NODE, r.ENGINE, r.CONNECTIONS]),
        [
          ['41', 'redis', '1'],
          ['42', 'redis', '2'],
        ],
      );
    }
    // --local: the node asked, alone.
    const local = await ctl(nodes[0]!, 'stats', '--local');
    assert.match(local.stdout, /^connections\s+1$/m);
    assert.deepEqual(
      rows(local.stdout, /^NODE\s+ENGINE/).map((r) => r.NODE),
      ['41'],
    );
  });

  test('connections: every node, with the node that holds each; kick reaches the other node', async () => {
    const out = await ctl(nodes[0]!, 'connections', SITE.name);
    assert.equal(out.code, 0, out.stderr);
    const list = rows(out.stdout, /^NODE\s+ID\s+DIALECT/);
    assert.deepEqual(list.map((r) => r.NODE).sort(), ['41', '42', '42']);
    for (const r of list) assert.equal(r.DIALECT, 'site');

    const remote = list.find((r) => r.NODE === '42')!;
    const kick = await ctl(nodes[0]!, 'kick', remote.ID!, '--code', '4000', '--reason', 'from node 41');
    assert.equal(kick.code, 0, kick.stderr);
    const closes = await Promise.all(
      clients
        .slice(1)
        .map((c) => Promise.race([c.closed, new Promise((r) => setTimeout(() => r(null), 3000))])),
    );
    assert.deepEqual(
      closes.filter((c) => c !== null),
      [{ code: 4000, reason: 'from node 41' }],
    );

    // An id no node holds (well-formed and naming node 42, or not an id at all).
    for (const id of [remote.ID!, 'nobody']) {
      const gone = await ctl(nodes[0]!, 'kick', id);
      assert.equal(gone.code, 1);
      assert.equal(gone.stderr, `switchboard ctl: no such connection: ${id} (HTTP 404)\n`);
    }
  });
});
