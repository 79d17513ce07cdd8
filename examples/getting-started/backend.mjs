// The tiny backend of docs/getting-started.md: it serves the page, hands the browser the
// credentials to subscribe (a site token and its HMAC, which only the backend can compute) and
// posts messages to Switchboard. The secrets are the ones in switchboard.yaml; in production
// read them from the environment and never send them to a browser.
//
//   node examples/getting-started/backend.mjs
//
// Environment: PORT (default 3000) and SB_URL, where Switchboard listens (default
// http://127.0.0.1:6789). Not SWITCHBOARD_*: the server reads those as config overrides.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { SiteBackend } from 'switchboard/backend';

const SB_URL = process.env.SB_URL ?? 'http://127.0.0.1:6789';
const PORT = Number(process.env.PORT ?? 3000);

const site = new SiteBackend({
  url: SB_URL,
  site: 'demo',
  secret: 'getting-started-secret',
  postSecret: 'getting-started-post-secret',
});

const files = {
  '/': ['text/html', 'index.html'],
  '/page.js': ['text/javascript', 'page.js'],
};

/** Answer `value` as JSON with `status`. */
function json(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** The request body as JSON, or undefined when it is not. */
async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://backend');
  try {
    if (req.method === 'GET' && Object.hasOwn(files, url.pathname)) {
      const [type, name] = files[url.pathname];
      res.writeHead(200, { 'content-type': `${type}; charset=utf-8` });
      return res.end(readFileSync(new URL(name, import.meta.url)));
    }
    // Where the page finds Switchboard (its SDK, its WebSocket).
    if (req.method === 'GET' && url.pathname === '/config') return json(res, 200, { switchboard: SB_URL });
    // What SiteClient's getAuth asks for before every subscribe and resume. A real backend checks
    // here that the signed-in user may read the channel.
    if (req.method === 'GET' && url.pathname === '/auth') {
      const channel = url.searchParams.get('channel');
      if (channel !== 'news') return json(res, 403, { error: 'only the news channel is readable' });
      return json(res, 200, await site.subscribeAuth(channel)); // { token, auth }
    }
    // Post a message to the news channel: SiteBackend fetches a token and signs the post.
    if (req.method === 'POST' && url.pathname === '/say') {
      const message = await body(req);
      if (typeof message?.text !== 'string' || message.text === '') {
        return json(res, 400, { error: 'send {"text": "…"}' });
      }
      await site.post('news', { text: message.text });
      return json(res, 200, { ok: true });
    }
    json(res, 404, { error: 'not found' });
  } catch (err) {
    json(res, 502, { error: `Switchboard refused: ${err.message}` });
  }
});

server.listen(PORT, '127.0.0.1', () => {
  console.log(`backend listening on http://127.0.0.1:${server.address().port} (Switchboard at ${SB_URL})`);
});
