// Shared setup for the site protocol tests. HMACs here are computed with node:crypto directly,
// never with the server's own helpers, so a wrong formula on either side shows up as a failure.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { after, before } from 'node:test';
import { get, post } from '../helpers/http.js';
import { lateBound } from '../helpers/late-bound.js';
import { startTestServer, TEST_NAMESPACE } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** Two sites with different secrets (tenant isolation), and two half-configured namespaces. */
export const SITE_NAMESPACES = {
  demo: TEST_NAMESPACE,
  other: { secret: 'other-secret', post_secret: 'other-post-secret', token_ttl: 60 },
  // Subscriptions only: no post_secret.
  readonly: { secret: 'readonly-secret' },
  // Posting only: no secret, so no WebSocket subscriptions.
  postonly: { post_secret: 'postonly-post-secret' },
  // Neither: a namespace for other dialects, not a site.
  plain: { api_keys: ['k'] },
};

export const SECRETS: Record<string, { secret?: string; post?: string }> = {
  demo: { secret: TEST_NAMESPACE.secret, post: TEST_NAMESPACE.post_secret },
  other: { secret: 'other-secret', post: 'other-post-secret' },
  readonly: { secret: 'readonly-secret' },
  postonly: { post: 'postonly-post-secret' },
  // Declared by site-resume.test.ts with a tiny history_size.
  small: { secret: 'small-secret', post: 'small-post' },
};

export function startSiteServer(extra: Record<string, unknown> = {}): Promise<TestServer> {
  return startTestServer({ namespaces: SITE_NAMESPACES, ...extra });
}

/** base64(hmac256(secret, channel + token)) — the site protocol's subscribe auth. */
export const subAuth = (secret: string, channel: string, token: string) =>
  createHmac('sha256', secret)
    .update(channel + token)
    .digest('base64');

/** base64(hmac256(post_secret, token)) — the site protocol's post auth. */
export const postAuthOf = (postSecret: string, token: string) =>
  createHmac('sha256', postSecret).update(token).digest('base64');

export async function fetchToken(server: TestServer, site = 'demo'): Promise<string> {
  const res = await get(`${server.url}/token?site=${site}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(typeof res.body.token, 'string');
  return res.body.token;
}

export function connectSite(server: TestServer, site = 'demo'): Promise<RawClient> {
  return RawClient.connect(server.wsUrl(`/ws?site=${site}`));
}

/** Post one message the way a backend would; resolves with the HTTP answer. */
export async function postMessage(server: TestServer, channel: string, message: unknown, site = 'demo') {
  const token = await fetchToken(server, site);
  const secret = SECRETS[site]!.post!;
  return post(`${server.url}/post?site=${site}`, {
    channel,
    message,
    token,
    auth: postAuthOf(secret, token),
  });
}

/** Post with a token fetched once; for bursts. */
export function poster(server: TestServer, token: string, site = 'demo') {
  const auth = postAuthOf(SECRETS[site]!.post!, token);
  return (channel: string, message: unknown) =>
    post(`${server.url}/post?site=${site}`, { channel, message, token, auth });
}

export interface SubscribeOptions {
  after?: number;
  reqId?: string;
  site?: string;
  token?: string;
}

/** Send a correctly signed subscribe and return the response frame. */
export async function subscribe(
  server: TestServer,
  client: RawClient,
  channel: string,
  options: SubscribeOptions = {},
) {
  const site = options.site ?? 'demo';
  const token = options.token ?? (await fetchToken(server, site));
  const body: Record<string, unknown> = {
    channel,
    token,
    auth: subAuth(SECRETS[site]!.secret!, channel, token),
  };
  if (options.after !== undefined) body.after = options.after;
  const frame: Record<string, unknown> = { request: 'subscribe', body };
  if (options.reqId !== undefined) frame.req_id = options.reqId;
  client.send(frame);
  return client.next();
}

/** Publish `n` messages through /post; returns their ords as the hub assigned them. */
export async function publishMany(
  server: TestServer,
  channel: string,
  n: number,
  site = 'demo',
): Promise<number[]> {
  const send = poster(server, await fetchToken(server, site), site);
  for (let i = 0; i < n; i++) {
    const res = await send(channel, { n: i });
    assert.equal(res.status, 200, res.text);
  }
  const { publications } = await server.hub.history(site, channel, { last: n });
  return publications.map((p) => p.ord);
}

/**
 * Fire-and-forget posts for bursts: every post is sent at once, over at most `sockets` keep-alive
 * connections, so a burst of 1,000 does not open 1,000 TCP connections (which a busy test machine
 * may refuse). Each call resolves with the HTTP status, 0 if the request failed; never rejects.
 */
export function burstPoster(server: TestServer, token: string, sockets = 32) {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const auth = postAuthOf(SECRETS.demo!.post!, token);
  const send = (channel: string, message: unknown) =>
    new Promise<number>((resolve) => {
      const body = JSON.stringify({ channel, message, token, auth });
      const req = request(`${server.url}/post?site=demo`, { method: 'POST', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

/**
 * The usual suite setup, registered in the calling `describe` (or file): a site server started
 * before its tests with `extra` config, and `open(site)` for site connections; every connection
 * opened and the server are closed after the suite.
 */
export function useSiteServer(extra: Record<string, unknown> = {}): {
  server: TestServer;
  open(site?: string): Promise<RawClient>;
} {
  const server = lateBound<TestServer>('the site test server');
  const clients: RawClient[] = [];
  before(async () => {
    server.set(await startSiteServer(extra));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.value?.close();
  });
  const open = async (site = 'demo') => {
    const c = await connectSite(server.proxy, site);
    clients.push(c);
    return c;
  };
  return { server: server.proxy, open };
}
