/**
 * A node in front of a hung Redis (SIGSTOP on a private `redis-server` the test owns): /readyz
 * goes 503 within a bounded time so a balancer takes the node out, /healthz stays 200, each
 * dialect answers in its own outage shape, nothing posted meanwhile is published late, and
 * everything is back once Redis continues.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Backend } from '../protocol/mesh-fixtures.js';
import {
  type NodeProcess,
  redisServerAvailable,
  removeDir,
  SITE,
  SiteSubscriber,
  siteToken,
  startNode,
  ThrowawayRedis,
  tempDir,
  until,
} from './helpers.js';

const skip = !redisServerAvailable() && 'redis-server is not on PATH (needed for a private, stoppable Redis)';
const prefix = 'sbtest:readyz:';
const engine = { command_timeout_ms: 500, ping_interval_ms: 100, ping_threshold_ms: 300 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function status(url: string): Promise<number> {
  const res = await fetch(url);
  await res.text();
  return res.status;
}

/** Poll until `probe` gives `want`; resolves with how long that took (ms). */
async function waitStatus(probe: () => Promise<number>, want: number, ms: number): Promise<number> {
  const t0 = Date.now();
  let last = 0;
  while (Date.now() - t0 < ms) {
    last = await probe();
    if (last === want) return Date.now() - t0;
    await sleep(25);
  }
  throw new Error(`status stayed ${last}, wanted ${want} within ${ms} ms`);
}

describe('cluster: /readyz and the dialects while Redis hangs', { skip }, () => {
  let redis: ThrowawayRedis;
  let dir: string;
  let node: NodeProcess;
  before(async () => {
    redis = await ThrowawayRedis.create();
    dir = tempDir();
    node = await startNode({ nodeId: 131, prefix, dir, redisUrl: redis.url, engine });
  });
  after(async () => {
    redis.resume();
    await node?.stop();
    await redis.kill();
    removeDir(dir);
  });

  it('503 within a bounded time, clear outage errors, nothing published late, 200 again after', async (t) => {
    const channel = 'hang';
    const sub = await SiteSubscriber.open(node, channel);
    const token = await siteToken(node);
    const auth = createHmac('sha256', SITE.postSecret).update(token).digest('base64');
    const post = async (message: unknown) => {
      const res = await fetch(`${node.url}/post?site=${SITE.name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel, message, token, auth }),
      });
      return { status: res.status, body: (await res.json()) as { message?: string } };
    };
    const backend = await Backend.connect(node.wsUrl(`/ws/v1?site=${SITE.name}&key=${SITE.apiKey}`));
    for (let i = 0; i < 3; i++) assert.equal((await post({ i })).status, 200);
    await until(() => sub.messages.length === 3, 'the first 3');
    assert.equal(await status(`${node.url}/readyz`), 200);

    redis.pause();
    const notReadyMs = await waitStatus(() => status(`${node.url}/readyz`), 503, 3000);
    // threshold 300 ms + one probe period 100 ms, plus scheduling on a busy machine.
    assert.ok(notReadyMs < 2000, `503 after ${notReadyMs} ms`);
    assert.equal(await status(`${node.url}/healthz`), 200, '/healthz stays 200: the process is alive');

    // Site: 503 with the reason; mesh: the publish error code (401) with the reason, as for an
    // unreachable Redis. Neither is an authorization refusal.
    const posts = await Promise.all(Array.from({ length: 20 }, (_, i) => post({ during: i })));
    for (const p of posts) {
      assert.equal(p.status, 503);
      assert.match(
        p.body.message ?? '',
        /could not publish: publish failed: Redis did not answer within 500 ms/,
      );
    }
    const meshReply = await backend.request('mesh.publish', { c: channel, d: 'during' });
    assert.equal(meshReply.E?.c, 401);
    assert.match(meshReply.E?.m ?? '', /did not answer within 500 ms.*not published/);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    const timeouts = Number(/^switchboard_redis_command_timeouts_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
    assert.ok(timeouts >= 21, `timeouts counted (${timeouts})`);
    assert.match(metrics, /^switchboard_redis_slow_total\{[^}]*\} [1-9]/m);

    redis.resume();
    const readyMs = await waitStatus(() => status(`${node.url}/readyz`), 200, 5000);
    assert.ok(readyMs < 3000, `200 again after ${readyMs} ms`);
    t.diagnostic(`/readyz 503 ${notReadyMs} ms after SIGSTOP, 200 ${readyMs} ms after SIGCONT`);
    assert.equal((await post({ i: 3 })).status, 200);
    await until(() => sub.messages.length >= 4, 'the post after');
    await sleep(200);
    assert.deepEqual(
      sub.messages.map((m) => m.body),
      [{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }],
      'none of the 21 refused publications was published late',
    );
    assert.deepEqual(sub.ords, [1, 2, 3, 4]);
    await backend.close();
    await sub.close();
  });
});
