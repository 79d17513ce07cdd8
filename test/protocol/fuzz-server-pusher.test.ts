// Server-level fuzz of the pusher dialect: generated frames to `/app/KEY` and generated requests
// to the HTTP API, against a real server. Every reply to a frame is one of the protocol's frames
// (refusals in Pusher's `pusher:error` shape), every close a documented code; every HTTP answer is
// a Pusher status with a plain-text reason; after each batch every dialect's client still gets
// correct answers. Frames are generated from a fixed seed (FUZZ_SEED).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_JSON_DEPTH } from '../../src/core/json-depth.js';
import { decodeFrame } from '../../src/dialects/pusher/protocol.js';
import {
  type Frame,
  hostileFrame,
  invalidUtf8,
  lenientText,
  MAX_FRAME_BYTES,
  utf8Bytes,
} from '../fuzz/arbitraries.js';
import { show } from '../fuzz/property.js';
import { assertPusherError, pusherTemplates } from '../fuzz/pusher.js';
import {
  FUZZ_CONFIG,
  type FuzzServer,
  PUSHER_APP,
  probeEveryDialect,
  pusherSignedUrl,
} from '../fuzz/server-probes.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const FRAMES = Number(process.env.FUZZ_SERVER_FRAMES ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);

type WireFrame = Frame | { binary: false; rawText: Buffer };

/** What the server may say in answer to a frame, besides errors and pongs. */
const ANSWERS = new Set([
  'pusher_internal:subscription_succeeded',
  'pusher:subscription_error',
  'pusher:cache_miss',
  'pusher:signin_success',
]);

function assertPusherAnswer(f: Record<string, unknown>): void {
  if (f.event === 'pusher:error') {
    assertPusherError(f);
    return;
  }
  assert.equal(typeof f.event, 'string', show(f));
  if (f.event === 'pusher:signin_success') {
    assert.equal(typeof f.data, 'string', show(f));
    return;
  }
  assert.equal(typeof f.channel, 'string', show(f));
  if (f.event === 'pusher:subscription_error') {
    const d = f.data as Record<string, unknown>;
    assert.ok([400, 401, 403, 501].includes(d.status as number), show(f));
    assert.equal(typeof d.type, 'string');
    assert.equal(typeof d.error, 'string');
    return;
  }
  if (f.event !== 'pusher:cache_miss') assert.equal(typeof f.data, 'string', show(f));
  // Anything else on a channel is a publication (a cache channel's last event): {event, channel, data}.
  if (!ANSWERS.has(f.event as string)) assert.ok(!(f.event as string).startsWith('pusher:'), show(f));
}

describe('server-level fuzz: the pusher dialect', () => {
  let server: FuzzServer;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  before(async () => {
    process.on('unhandledRejection', onRejection);
    server = await startTestServer(FUZZ_CONFIG);
    await probeEveryDialect(server, 'pusher-start');
  });
  after(async () => {
    await server.close();
    process.off('unhandledRejection', onRejection);
    assert.deepEqual(rejections, [], 'no unhandled rejection while fuzzing');
  });

  it(`/app/KEY: ${FRAMES} frames, each answered in the protocol's frames, refusals as pusher:error`, async () => {
    const batch = fc.sample(
      fc.oneof(
        { weight: 39, arbitrary: hostileFrame(pusherTemplates) as fc.Arbitrary<WireFrame> },
        { weight: 1, arbitrary: invalidUtf8.map((rawText): WireFrame => ({ binary: false, rawText })) },
      ),
      { numRuns: FRAMES, seed: SEED + 7 },
    );
    const connect = async () => {
      const c = await RawClient.connect(server.wsUrl(`/app/${PUSHER_APP.key}?protocol=7`));
      assert.equal((await c.next()).event, 'pusher:connection_established');
      return c;
    };
    let c = await connect();
    let answered = 0;
    for (const f of batch) {
      if ('rawText' in f) c.ws.send(f.rawText, { binary: false });
      else if (f.binary) c.ws.send(f.bytes, { binary: true });
      else c.ws.send(f.text);
      // A ping after every frame marks where the answers to that frame end.
      const decoded = 'rawText' in f ? undefined : decodeFrame(lenientText(f), MAX_JSON_DEPTH);
      let pongs = decoded?.ok && decoded.command.kind === 'ping' ? 2 : 1;
      c.send({ event: 'pusher:ping', data: {} });
      let open = true;
      while (open) {
        const next = await Promise.race([
          c.next(5000).then((frame) => ({ frame })),
          c.closed.then((closed) => ({ closed })),
        ]);
        if ('closed' in next) {
          const bytes = 'rawText' in f ? f.rawText.length : f.binary ? f.bytes.length : utf8Bytes(f.text);
          // 1009 over the frame limit, 1007 not UTF-8, 4009 a pusher:signin with a wrong signature.
          const allowed = bytes > MAX_FRAME_BYTES ? [1009] : 'rawText' in f ? [1007] : [4009];
          assert.ok(allowed.includes(next.closed.code), `close ${next.closed.code} after ${show(f)}`);
          if (next.closed.code === 4009) assert.ok(decoded?.ok && decoded.command.kind === 'signin');
          open = false;
          break;
        }
        const frame = next.frame as Record<string, unknown>;
        if (frame.event === 'pusher:pong') {
          if (--pongs === 0) break;
          continue;
        }
        assertPusherAnswer(frame);
        answered++;
        // A refused frame is answered with exactly the error the codec gives.
        if (decoded !== undefined && !decoded.ok)
          assert.deepEqual(frame, { event: 'pusher:error', data: { code: null, message: decoded.message } });
      }
      if (!open) {
        await c.close();
        c = await connect();
      }
    }
    await c.close();
    assert.ok(answered > FRAMES / 2, `most frames are answered (${answered})`);
    await probeEveryDialect(server, 'after-pusher-frames');
  });

  it('HTTP API: generated requests, signed and not, get a Pusher status and a plain-text reason', async () => {
    const id = PUSHER_APP.app_id;
    const bodies = fc.sample(
      fc.oneof(
        fc
          .record({
            name: fc.string({ maxLength: 20 }),
            channel: fc.string({ maxLength: 20 }),
            data: fc.string(),
          })
          .map((e) => JSON.stringify(e)),
        hostileFrame(pusherTemplates).map((f) => (f.binary ? f.bytes.toString('latin1') : f.text)),
        fc.constantFrom(
          '',
          '{"batch":[]}',
          '{"batch":[{}]}',
          '{"batch":{}}',
          '{"name":"e","channels":[],"data":""}',
        ),
      ),
      { numRuns: 120, seed: SEED + 8 },
    );
    const routes: [string, string][] = [
      ['POST', `/apps/${id}/events`],
      ['POST', `/apps/${id}/batch_events`],
      ['GET', `/apps/${id}/channels`],
      ['GET', `/apps/${id}/channels/presence-x%ZZ`],
      ['GET', `/apps/${id}/channels/presence-x/users`],
      ['POST', `/apps/${id}/users/u1/terminate_connections`],
      ['POST', '/apps/no-such-app/events'],
    ];
    for (const [i, body] of bodies.entries()) {
      const [method, path] = routes[i % routes.length]!;
      const sendBody = method === 'POST' ? body : '';
      // Every third request is signed wrongly; the rest are signed.
      const extra: Record<string, string> =
        i % 5 === 0 ? { info: 'user_count,subscription_count,nope'.slice(0, i % 30) } : {};
      let url = pusherSignedUrl(server, method, path, sendBody, extra);
      if (i % 3 === 1) url = url.replace(/auth_signature=[0-9a-f]+/, 'auth_signature=00');
      const res = await fetch(url, {
        method,
        ...(method === 'POST' ? { body: sendBody, headers: { 'content-type': 'application/json' } } : {}),
      });
      const text = await res.text();
      assert.ok(
        [200, 400, 401, 404, 413].includes(res.status),
        `${method} ${path} answered ${res.status}: ${text}`,
      );
      if (res.status === 200) assert.equal(typeof JSON.parse(text), 'object', text);
      else {
        assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
        assert.ok(text.length > 0, `${res.status} with an empty reason`);
      }
      // A wrong signature is refused (a body over the limit may be refused first, as too large).
      if (i % 3 === 1 && !path.includes('no-such-app') && !path.includes('%ZZ'))
        assert.ok([401, 413].includes(res.status), `${res.status}: ${text}`);
    }
    await probeEveryDialect(server, 'after-pusher-http');
  });
});
