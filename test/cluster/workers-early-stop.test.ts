// `serve --workers 2` stopped while its workers are still starting: each worker gets the
// primary's shutdown word only once it can hear it, so SIGTERM right after "starting workers"
// still ends in a clean exit 0 instead of workers that run on until the primary kills them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { deleteRedisPrefix, MAIN, nodeConfig, removeDir, tempDir } from './helpers.js';

const prefix = `sbtest:early-stop:${process.pid}:${randomBytes(4).toString('hex')}:`;

describe('serve --workers: SIGTERM before the workers listen', () => {
  const dir = tempDir();
  after(async () => {
    await deleteRedisPrefix(prefix);
    removeDir(dir);
  });

  it('drains every worker and exits 0 within the shutdown budget', async () => {
    const file = join(dir, 'workers.yaml');
    // No fixed node id: each worker leases its own.
    const { node_id: _, ...config } = nodeConfig({ nodeId: 1, prefix }) as Record<string, unknown>;
    // A shutdown budget far above a worker's start-up, even on a loaded machine: the primary kills
    // only workers that never stop, which is what this test is about, not slow starts.
    const limits = { ...(config.limits as object), shutdown_timeout_ms: 30_000 };
    writeFileSync(file, JSON.stringify({ ...config, limits, workers: 2 }));
    const child = spawn(process.execPath, [MAIN, 'serve', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SWITCHBOARD_CONFIG: '' },
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      // The primary has forked the workers; none of them can have listened yet.
      const deadline = Date.now() + 20_000;
      while (!text.includes('"msg":"starting workers"')) {
        assert.ok(Date.now() < deadline, `no "starting workers" line:\n${text}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(!text.includes('"msg":"worker listening"'), 'the signal comes before any worker listens');
      child.kill('SIGTERM');
      assert.equal(await exited, 0, text);
      assert.doesNotMatch(text, /did not stop in time/);
      assert.match(text, /"msg":"all workers stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
