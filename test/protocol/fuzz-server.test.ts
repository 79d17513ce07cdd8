// Server-level fuzz: hundreds of generated frames per endpoint (site /ws?site=, rocket vhost, mesh
// /ws/v1, chat /ws?username=, gateway /client) against a real server. Every reply must have the
// dialect's shape, every close a documented code, and after each batch a well-behaved client of
// every dialect still gets correct answers. Frames are generated from a fixed seed (FUZZ_SEED).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type Frame, hostileFrame, invalidUtf8, MAX_FRAME_BYTES, utf8Bytes } from '../fuzz/arbitraries.js';
import { chatTemplates, chatVerdict } from '../fuzz/chat.js';
import { assertMeshError, meshTemplates } from '../fuzz/mesh.js';
import { show } from '../fuzz/property.js';
import { assertRocketError, rocketTemplates } from '../fuzz/rocket.js';
import {
  API_KEY,
  backendUrl,
  CLIENT_TOPIC,
  FUZZ_CONFIG,
  type FuzzServer,
  NS,
  probeEveryDialect,
  ROCKET_PATH,
  ROCKET_USER,
  Watchers,
} from '../fuzz/server-probes.js';
import { assertSiteError, siteTemplates } from '../fuzz/site.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import { Backend } from './mesh-fixtures.js';

const FRAMES = Number(process.env.FUZZ_SERVER_FRAMES ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);

/** A hostile frame, or (1 in 40) invalid UTF-8 bytes sent as a *text* frame, which ws refuses. */
type WireFrame = Frame | { binary: false; rawText: Buffer };

function frames(templates: fc.Arbitrary<Record<string, unknown>>, n: number, salt: number): WireFrame[] {
  const arb = fc.oneof(
    { weight: 39, arbitrary: hostileFrame(templates) as fc.Arbitrary<WireFrame> },
    { weight: 1, arbitrary: invalidUtf8.map((rawText): WireFrame => ({ binary: false, rawText })) },
  );
  return fc.sample(arb, { numRuns: n, seed: SEED + salt });
}

function send(c: RawClient, f: WireFrame): void {
  if ('rawText' in f) c.ws.send(f.rawText, { binary: false });
  else if (f.binary) c.ws.send(f.bytes, { binary: true });
  else c.ws.send(f.text);
}

/** What the server read: a text frame's string after its trip through UTF-8 (lone surrogates become U+FFFD). */
const wireText = (f: WireFrame): string | undefined =>
  'rawText' in f
    ? undefined
    : f.binary
      ? f.bytes.toString('utf8')
      : Buffer.from(f.text, 'utf8').toString('utf8');

type Next = { frame: any } | { closed: { code: number; reason: string } };

async function nextOrClose(c: RawClient): Promise<Next> {
  return Promise.race([
    c.nextFrame(5000).then((f) => ({ frame: f.binary ? f.data : JSON.parse(f.data as string) })),
    c.closed.then((closed) => ({ closed })),
  ]);
}

function objectOf(text: string | undefined): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text ?? '');
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const frameBytes = (f: WireFrame): number =>
  'rawText' in f ? f.rawText.length : f.binary ? f.bytes.length : utf8Bytes(f.text);

/**
 * A close the fuzz may cause: 1009 for a frame over limits.max_frame_bytes (deep nesting can
 * reach it), 1007 for bytes that are not UTF-8 (ws, or chat's verdict), `allowed` otherwise.
 */
function assertDocumentedClose(
  closed: { code: number; reason: string },
  allowed: number[],
  f: WireFrame,
): void {
  const codes = frameBytes(f) > MAX_FRAME_BYTES ? [1009] : 'rawText' in f ? [1007] : allowed;
  assert.ok(codes.includes(closed.code), `close ${closed.code} "${closed.reason}" after ${show(f)}`);
  assert.ok(utf8Bytes(closed.reason) <= 123);
}

/**
 * Send every frame on one connection, reconnecting after a close; `answer` reads what the server
 * says to one frame and returns false once the connection is closed.
 */
async function drive(
  connect: () => Promise<RawClient>,
  batch: WireFrame[],
  answer: (c: RawClient, f: WireFrame) => Promise<boolean>,
): Promise<void> {
  let c = await connect();
  for (const f of batch) {
    send(c, f);
    if (!(await answer(c, f))) {
      await c.close();
      c = await connect();
    }
  }
  await c.close();
}

describe('server-level fuzz: hostile frames to every endpoint', () => {
  let server: FuzzServer;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  let watchers: Watchers;
  /** Fresh clients of every dialect get correct answers, and the connections open since the start still work. */
  const afterBatch = async (tag: string) => {
    await probeEveryDialect(server, tag);
    await watchers.check(server, tag);
  };

  before(async () => {
    process.on('unhandledRejection', onRejection);
    server = await startTestServer(FUZZ_CONFIG);
    watchers = await Watchers.open(server);
    await afterBatch('start');
  });
  after(async () => {
    await watchers.close();
    await server.close();
    process.off('unhandledRejection', onRejection);
    assert.deepEqual(rejections, [], 'no unhandled rejection while fuzzing');
  });

  it(`site /ws?site=: ${FRAMES} frames, each answered with a site response`, async () => {
    await drive(
      () => RawClient.connect(server.wsUrl(`/ws?site=${NS}`)),
      frames(siteTemplates, FRAMES, 1),
      async (c, f) => {
        const next = await nextOrClose(c);
        if ('closed' in next) {
          assertDocumentedClose(next.closed, [], f);
          return false;
        }
        if (next.frame.response === 'ok') return true; // a request that happened to be valid
        assertSiteError(next.frame, f.binary ? undefined : objectOf(wireText(f))?.req_id);
        return true;
      },
    );
    await afterBatch('after-site');
  });

  it(`rocket vhost: ${FRAMES} frames from an authenticated writer, each answered in the rocket shape`, async () => {
    const connect = async () => {
      const c = await RawClient.connect(server.wsUrl(ROCKET_PATH));
      c.send({ authenticate: ROCKET_USER });
      assert.deepEqual(await c.next(), { authenticated: ROCKET_USER.user });
      return c;
    };
    const SUCCESS = ['authenticated', 'subscribed', 'unsubscribed', 'broadcasted', 'triggered', 'loggedOut'];
    await drive(connect, frames(rocketTemplates, FRAMES, 2), async (c, f) => {
      for (;;) {
        const next = await nextOrClose(c);
        if ('closed' in next) {
          // {"disconnect": true} closes with 1000, as the original rocket server does.
          assertDocumentedClose(next.closed, [1000], f);
          return false;
        }
        const keys = Object.keys(next.frame);
        if (keys.length === 3 && keys.includes('event') && keys.includes('channel')) continue; // a publication
        if ('err' in next.frame) assertRocketError(next.frame);
        else assert.ok(keys.length === 1 && SUCCESS.includes(keys[0]!), show(next.frame));
        return true;
      }
    });
    await afterBatch('after-rocket');
  });

  it(`mesh /ws/v1: ${FRAMES} requests, each answered with an envelope carrying its readable i`, async () => {
    const CODES = [101, 201, 202, 203, 301, 401];
    await drive(
      () => RawClient.connect(backendUrl(server)),
      frames(meshTemplates, FRAMES, 3),
      async (c, f) => {
        for (;;) {
          const next = await nextOrClose(c);
          if ('closed' in next) {
            assertDocumentedClose(next.closed, [], f);
            return false;
          }
          if (typeof next.frame !== 'object' || 'e' in next.frame) continue; // a queue.pop event
          const sent = objectOf(wireText(f));
          const raw = sent?.i !== undefined ? sent.i : sent?.id;
          const id =
            typeof raw === 'string' || (typeof raw === 'number' && Number.isFinite(raw))
              ? (JSON.parse(JSON.stringify(raw)) as string | number) // as JSON carries it back: -0 is 0
              : null;
          if (next.frame.E === null) assert.equal(typeof next.frame.r, 'object', show(next.frame));
          else assertMeshError(next.frame, undefined, next.frame.E.c);
          if (next.frame.E === null || next.frame.E.c !== 101) assert.deepEqual(next.frame.i, id);
          else assert.ok(next.frame.i === id || next.frame.i === null, show(next.frame));
          assert.ok(next.frame.E === null || CODES.includes(next.frame.E.c), show(next.frame));
          return true;
        }
      },
    );
    await afterBatch('after-mesh');
  });

  it(`chat /ws?username=: ${FRAMES} frames, each answered with messages, a pong or a 1007 close`, async () => {
    await drive(
      () => RawClient.connect(server.wsUrl('/ws?username=fuzzer')),
      frames(chatTemplates, FRAMES, 4),
      async (c, f) => {
        // A ping after every frame marks where the server's answers to that frame end; a frame
        // that is itself a ping is answered too. What the codec says of the frame must happen.
        const verdict = 'rawText' in f ? undefined : chatVerdict(f);
        let pongs = verdict?.kind === 'ping' ? 2 : 1;
        c.send({ ping: true });
        for (;;) {
          const next = await nextOrClose(c);
          if ('closed' in next) {
            assertDocumentedClose(next.closed, [1007], f);
            if (frameBytes(f) <= MAX_FRAME_BYTES && verdict) {
              assert.deepEqual(
                { kind: verdict.kind, reason: next.closed.reason },
                { kind: 'invalid', reason: (verdict as { reason?: string }).reason },
              );
            }
            return false;
          }
          if (next.frame.pong === true) {
            assert.notEqual(verdict?.kind, 'invalid', `no close after ${show(f)}`);
            if (--pongs === 0) return true;
            continue;
          }
          assert.equal(verdict?.kind, 'message', `a message after ${show(f)}`);
          assert.equal(typeof next.frame.room, 'string', show(next.frame));
          assert.equal(typeof next.frame.text, 'string');
          assert.equal(next.frame.sender?.username, 'fuzzer');
        }
      },
    );
    await afterBatch('after-chat');
  });

  it(`gateway /client: ${FRAMES} frames, each delivered to the backend as one item, in order`, async () => {
    // Frames that close the connection (over the size limit, not UTF-8) are the other tests' business.
    const batch = frames(meshTemplates, FRAMES, 5).filter(
      (f): f is Frame => !('rawText' in f) && frameBytes(f) <= MAX_FRAME_BYTES,
    );
    const backend = await Backend.connect(backendUrl(server));
    const client = await RawClient.connect(server.wsUrl(`/client?site=${NS}`));
    try {
      assert.equal((await backend.request('queue.pop', { t: [CLIENT_TOPIC] })).E, null);
      for (const f of batch) send(client, f);
      const handshake = () => backend.events.find((e) => e.p.d?.event === 'handshake');
      await backend.until(() => handshake() !== undefined, 'the handshake item');
      const id = handshake().p.c;
      const items = await backend.itemsOf(id, batch.length + 1, 10_000);
      const frameItems = items.filter((d) => d.event === 'message').map((d) => d.frame);
      assert.deepEqual(
        frameItems,
        batch.map((f) =>
          f.binary
            ? { type: 'binary', data: f.bytes.toString('base64'), finish: true }
            : { type: 'text', data: wireText(f), finish: true },
        ),
      );
      assert.ok(await client.silentFor(100), 'a gateway client gets nothing it was not sent');
    } finally {
      await client.close();
      await backend.close();
    }
    await afterBatch('after-gateway');
  });

  // Found by this fuzz (docs/security.md "Fuzzing"): V8's JSON.stringify overflows the stack on
  // values nested past ~4,000 levels, which a 64 KiB frame can carry. Every entry point now refuses
  // JSON deeper than limits.max_json_depth (64) in its own shape, so nothing deep is ever stored.
  it('values nested 20,000 deep: every dialect refuses them in its shape, subscribers get only what follows', async () => {
    const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
    const tooDeep = (what: string) => `${what} is nested too deeply (max 64 levels)`;
    const site = await RawClient.connect(server.wsUrl(`/ws?site=${NS}`));
    const rocket = await RawClient.connect(server.wsUrl(ROCKET_PATH));
    const backend = await RawClient.connect(backendUrl(server));
    try {
      site.send(`{"request":"subscribe","req_id":${deep}}`);
      const refusal = await site.next();
      assertSiteError(refusal, JSON.parse(`[${deep}]`)[0]);
      assert.deepEqual(
        refusal,
        { response: 'error', body: tooDeep('request') },
        'the deep req_id is not echoed',
      );
      site.send(`{"request":"subscribe","req_id":"r1","body":{"channel":${deep}}}`);
      assert.deepEqual(await site.next(), { response: 'error', req_id: 'r1', body: tooDeep('request') });
      rocket.send({ authenticate: ROCKET_USER });
      await rocket.next();
      rocket.send({ subscribe: { channel: 'deep' } });
      assert.deepEqual(await rocket.next(), { subscribed: 'deep' });
      rocket.send(`{"broadcast":{"event":"e","channel":"deep","data":${deep}}}`);
      assert.deepEqual(await rocket.next(), { err: 'INVALID_PAYLOAD', additional_info: tooDeep('message') });
      backend.send(`{"m":"mesh.send","p":{"c":"1","d":${deep}},"i":1}`);
      assertMeshError(await backend.next(), 1);
      backend.send(`{"m":"mesh.publish","p":{"c":"deep","d":${deep}},"i":2}`);
      const published = await backend.next();
      assertMeshError(published, 2);
      assert.equal(published.E.m, tooDeep('request'));
      backend.send(`{"m":"mesh.publish","p":{"c":"deep","d":1},"i":${deep}}`);
      assertMeshError(await backend.next(), null);
      for (const path of ['/v1/mesh/publish', '/post']) {
        const res = await fetch(`${server.url}${path}?site=${NS}`, {
          method: 'POST',
          body: `{"c":"deep","channel":"deep","d":${deep},"message":${deep},"token":"t","auth":"a"}`,
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        });
        const json = await res.json();
        if (path === '/post') {
          assert.equal(res.status, 400);
          assert.deepEqual(json, { status: 'error', message: tooDeep('request body') });
        } else {
          assert.equal(res.status, 200);
          assert.deepEqual(json, { E: { c: 101, m: tooDeep('request body') } });
        }
      }
      // Nothing deep was stored or fanned out: the next publication is the first the subscriber sees.
      backend.send({ m: 'mesh.publish', p: { c: 'deep', d: [[1]] }, i: 3 });
      const accepted = await backend.next();
      assert.deepEqual([accepted.E, accepted.i], [null, 3]);
      assert.deepEqual(await rocket.next(), { event: 'message', channel: 'deep', data: [[1]] });
    } finally {
      await Promise.all([site.close(), rocket.close(), backend.close()]);
    }
    await afterBatch('after-deep');
  });

  it('HTTP /v1/mesh/* and /post: generated bodies get JSON answers, the server keeps serving', async () => {
    const bodies = fc.sample(
      fc.oneof(
        meshTemplates.map((t) => JSON.stringify(t.p)),
        hostileFrame(meshTemplates).map((f) => (f.binary ? f.bytes.toString('latin1') : f.text)),
      ),
      { numRuns: 100, seed: SEED + 6 },
    );
    for (const [i, body] of bodies.entries()) {
      const path = ['/v1/mesh/send', '/v1/mesh/publish', '/post'][i % 3]!;
      const res = await fetch(`${server.url}${path}?site=${NS}`, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      });
      const text = await res.text();
      assert.ok([200, 400, 401, 403, 413].includes(res.status), `${path} answered ${res.status}: ${text}`);
      const json = JSON.parse(text);
      if (path === '/post') assert.ok(res.status !== 200 || json !== null, text);
      else if (res.status === 200) assert.ok(json.E === null || typeof json.E.c === 'number', text);
    }
    await afterBatch('after-http');
  });
});
