import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get, post } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { connectSite, postAuthOf, subAuth } from './site-fixtures.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

describe('security: post_token_reuse on /post', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      namespaces: {
        once: { secret: 's1', post_secret: 'p1', post_token_reuse: false },
        reuse: { secret: 's2', post_secret: 'p2' },
      },
    });
  });
  after(() => server.close());

  const token = async (site: string) => (await get(`${server.url}/token?site=${site}`)).body.token as string;
  const send = (
    site: string,
    secret: string,
    tok: string,
    message: unknown,
    auth = postAuthOf(secret, tok),
  ) => post(`${server.url}/post?site=${site}`, { channel: 'news', message, token: tok, auth });

  it('accepts a token once and refuses its replay with 403 token already used; subscribers see one message', async () => {
    const c = await connectSite(server, 'once');
    try {
      const subTok = await token('once');
      c.send({
        request: 'subscribe',
        req_id: 'r',
        body: { channel: 'news', after: 0, token: subTok, auth: subAuth('s1', 'news', subTok) },
      });
      assert.equal((await c.next()).response, 'ok');
      const tok = await token('once');
      const first = await send('once', 'p1', tok, 'first');
      assert.equal(first.status, 200);
      assert.deepEqual(first.body, { status: 'ok' });
      const replay = await send('once', 'p1', tok, 'replayed');
      assert.equal(replay.status, 403);
      assert.equal(replay.body.status, 'error');
      assert.match(replay.body.message, /^token already used/);
      const fresh = await token('once');
      assert.equal((await send('once', 'p1', fresh, 'second')).status, 200);
      assert.equal((await c.next()).body, 'first');
      assert.equal((await c.next()).body, 'second');
      await c.silentFor(100);
    } finally {
      await c.close();
    }
  });

  it('of concurrent posts with one token exactly one is accepted', async () => {
    const tok = await token('once');
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => send('once', 'p1', tok, i)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, ...Array(9).fill(403)]);
  });

  it('does not spend a token on a post whose auth is wrong', async () => {
    const tok = await token('once');
    const wrong = await send('once', 'p1', tok, 'x', postAuthOf('not-the-secret', tok));
    assert.equal(wrong.status, 403);
    assert.match(wrong.body.message, /auth does not match/);
    assert.equal((await send('once', 'p1', tok, 'y')).status, 200);
  });

  it('keeps the original behaviour by default: a token may post several times', async () => {
    const tok = await token('reuse');
    for (const m of [1, 2, 3]) assert.equal((await send('reuse', 'p2', tok, m)).status, 200);
  });
});
