// Well-behaved clients of every dialect, for the server-level fuzz: after each batch of hostile
// frames, each probe does the dialect's basic round trip on fresh connections and must get the
// correct answers. Credentials are fixed here so the probes compute HMACs with node:crypto.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { get, post } from '../helpers/http.js';
import type { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import { Backend } from '../protocol/mesh-fixtures.js';

export type FuzzServer = Awaited<ReturnType<typeof startTestServer>>;

export const NS = 'demo';
export const SITE_SECRET = 'fuzz-site-secret';
export const POST_SECRET = 'fuzz-post-secret';
export const API_KEY = 'fuzz-mesh-key';
export const ROCKET_PATH = '/rk';
export const ROCKET_USER = { user: 'writer', secret: 'w' };
export const CLIENT_TOPIC = 'clients';
/** The namespace is a Pusher app too, with client events on (the fuzz sends them). */
export const PUSHER_APP = { app_id: '77', key: 'fuzz-pusher-key', secret: 'fuzz-pusher-secret' };

/** The server config of the fuzz: one namespace speaking site, mesh, rocket and pusher, plus chat. */
export const FUZZ_CONFIG = {
  namespaces: {
    [NS]: {
      secret: SITE_SECRET,
      post_secret: POST_SECRET,
      token_ttl: 300,
      api_keys: [API_KEY],
      client_topic: CLIENT_TOPIC,
      rocket: {
        path: ROCKET_PATH,
        users: { [ROCKET_USER.user]: { secret: ROCKET_USER.secret, permissions: ['READ', 'WRITE'] } },
      },
      pusher: { ...PUSHER_APP, enable_client_messages: true, max_client_events_per_second: 1_000_000 },
    },
  },
  chat: { namespace: 'chat' },
  // The fuzz sends hundreds of frames a second on one connection: the rate limit is not under test.
  limits: { max_messages_per_second: 1_000_000, max_messages_burst: 1_000_000 },
};

const hmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest('base64');

export const backendUrl = (server: FuzzServer) =>
  server.wsUrl(`/ws/v1?site=${NS}&key=${encodeURIComponent(API_KEY)}`);

async function token(server: FuzzServer): Promise<string> {
  const res = await get(`${server.url}/token?site=${NS}`);
  assert.equal(res.status, 200, res.text);
  return res.body.token;
}

/** Post through /post, signed as docs/protocol/site.md says; asserts the answer is 200. */
export async function sitePost(server: FuzzServer, channel: string, message: unknown): Promise<void> {
  const t = await token(server);
  const res = await post(`${server.url}/post?site=${NS}`, {
    channel,
    message,
    token: t,
    auth: hmac(POST_SECRET, t),
  });
  assert.equal(res.status, 200, res.text);
}

async function probeSite(server: FuzzServer, tag: string): Promise<void> {
  const c = await RawClient.connect(server.wsUrl(`/ws?site=${NS}`));
  try {
    const channel = `probe-site-${tag}`;
    const t = await token(server);
    c.send({
      request: 'subscribe',
      req_id: tag,
      body: { channel, token: t, auth: hmac(SITE_SECRET, channel + t) },
    });
    assert.deepEqual(await c.next(), { response: 'ok', req_id: tag, body: null });
    await sitePost(server, channel, { tag });
    const msg = await c.next();
    assert.deepEqual({ message: msg.message, body: msg.body }, { message: channel, body: { tag } });
  } finally {
    await c.close();
  }
}

/**
 * A Pusher HTTP API request signed as Pusher's documentation describes (query keys sorted,
 * `METHOD\nPATH\nQUERY` signed with HMAC-SHA256, `body_md5` of the body), written from that
 * description and not from the server's code. `extra` query parameters are signed too.
 */
export function pusherSignedUrl(
  server: FuzzServer,
  method: string,
  path: string,
  body: string,
  extra: Record<string, string> = {},
): string {
  const params: Record<string, string> = {
    ...extra,
    auth_key: PUSHER_APP.key,
    auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
  };
  if (body.length > 0) params.body_md5 = createHash('md5').update(body).digest('hex');
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const signature = createHmac('sha256', PUSHER_APP.secret)
    .update(`${method}\n${path}\n${query}`)
    .digest('hex');
  const search = new URLSearchParams({ ...params, auth_signature: signature });
  return `${server.url}${path}?${search}`;
}

/** A Pusher client subscribes to a public channel and receives an event triggered through the HTTP API. */
async function probePusher(server: FuzzServer, tag: string): Promise<void> {
  const c = await RawClient.connect(
    server.wsUrl(`/app/${PUSHER_APP.key}?protocol=7&client=js&version=8.4.0`),
  );
  try {
    assert.equal((await c.next()).event, 'pusher:connection_established');
    const channel = `probe-pusher-${tag}`;
    c.send({ event: 'pusher:subscribe', data: { channel } });
    assert.deepEqual(await c.next(), {
      event: 'pusher_internal:subscription_succeeded',
      channel,
      data: '{}',
    });
    const path = `/apps/${PUSHER_APP.app_id}/events`;
    const body = JSON.stringify({ name: 'probe', channels: [channel], data: JSON.stringify({ tag }) });
    const res = await fetch(pusherSignedUrl(server, 'POST', path, body), {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual(await c.next(), { event: 'probe', channel, data: JSON.stringify({ tag }) });
  } finally {
    await c.close();
  }
}

async function probeRocket(server: FuzzServer, tag: string): Promise<void> {
  const c = await RawClient.connect(server.wsUrl(ROCKET_PATH));
  try {
    const channel = `probe-rocket-${tag}`;
    c.send({ authenticate: ROCKET_USER });
    assert.deepEqual(await c.next(), { authenticated: ROCKET_USER.user });
    c.send({ subscribe: { channel } });
    assert.deepEqual(await c.next(), { subscribed: channel });
    c.send({ broadcast: { event: 'probe', channel, data: { tag } } });
    const frames = [await c.next(), await c.next()];
    assert.deepEqual(
      frames.sort((a, b) => Object.keys(a).length - Object.keys(b).length),
      [{ broadcasted: channel }, { event: 'probe', channel, data: { tag } }],
    );
  } finally {
    await c.close();
  }
}

async function probeChat(server: FuzzServer, tag: string): Promise<void> {
  const c = await RawClient.connect(server.wsUrl(`/ws?username=probe-${tag}`));
  try {
    c.send({ ping: true });
    assert.deepEqual(await c.next(), { pong: true });
    c.send({ room: 'probe-room', text: `hi ${tag}`, id: tag });
    const msg = await c.next();
    assert.deepEqual(
      { id: msg.id, room: msg.room, text: msg.text, sender: msg.sender },
      { id: tag, room: 'probe-room', text: `hi ${tag}`, sender: { username: `probe-${tag}` } },
    );
  } finally {
    await c.close();
  }
}

/** mesh over /ws/v1 and HTTP, and the gateway: a client's frame reaches a backend and back. */
async function probeMesh(server: FuzzServer, tag: string): Promise<void> {
  const backend = await Backend.connect(backendUrl(server));
  const seen = backend.events.length;
  let client: RawClient | undefined;
  try {
    const popped = await backend.request('queue.pop', { t: [CLIENT_TOPIC] });
    assert.equal(popped.E, null, JSON.stringify(popped));
    client = await RawClient.connect(server.wsUrl(`/client?site=${NS}`));
    client.send(`hello ${tag}`);
    const fromClient = () =>
      backend.events
        .slice(seen)
        .find((e) => e.p.d?.event === 'message' && e.p.d.frame.data === `hello ${tag}`);
    await backend.until(() => fromClient() !== undefined, 'the probe client frame');
    const sent = await backend.request('mesh.send', { c: fromClient().p.c, d: `back ${tag}` });
    assert.deepEqual(sent, { E: null, r: { s: true }, i: sent.i });
    assert.equal((await client.nextFrame()).data, `back ${tag}`);
    const published = await backend.request('mesh.publish', { c: `probe-mesh-${tag}`, d: { tag } });
    assert.equal(published.E, null, JSON.stringify(published));
    const http = await post(
      `${server.url}/v1/mesh/publish?site=${NS}`,
      { c: `probe-mesh-${tag}`, d: 1 },
      {
        authorization: `Bearer ${API_KEY}`,
      },
    );
    assert.equal(http.status, 200, http.text);
    assert.equal(http.body.E, null, http.text);
  } finally {
    await client?.close();
    await backend.close();
  }
}

/** Every dialect's round trip, and the process still answering plain HTTP. */
export async function probeEveryDialect(server: FuzzServer, tag: string): Promise<void> {
  await Promise.all([
    probeSite(server, tag),
    probeRocket(server, tag),
    probeChat(server, tag),
    probeMesh(server, tag),
    probePusher(server, tag),
  ]);
  assert.equal((await get(`${server.url}/token?site=${NS}`)).status, 200);
}

/** Read frames until one satisfies `match` (others are skipped); each wait has a timeout. */
async function frameMatching(c: RawClient, match: (frame: any) => boolean, what: string): Promise<void> {
  for (;;) {
    const f = await c.nextFrame(5000).catch(() => undefined);
    assert.ok(f, `no ${what}`);
    if (!f.binary && match(JSON.parse(f.data as string))) return;
  }
}

/**
 * Long-lived connections opened before the fuzz and kept through it: a site subscriber, a rocket
 * subscriber and a chat client. `check` proves each still gets what is published to it.
 */
export class Watchers {
  private constructor(
    private readonly site: RawClient,
    private readonly rocket: RawClient,
    private readonly chat: RawClient,
  ) {}

  static async open(server: FuzzServer): Promise<Watchers> {
    const site = await RawClient.connect(server.wsUrl(`/ws?site=${NS}`));
    const t = await token(server);
    site.send({
      request: 'subscribe',
      body: { channel: 'watch', token: t, auth: hmac(SITE_SECRET, `watch${t}`) },
    });
    assert.equal((await site.next()).response, 'ok');
    const rocket = await RawClient.connect(server.wsUrl(ROCKET_PATH));
    rocket.send({ authenticate: ROCKET_USER });
    rocket.send({ subscribe: { channel: 'watch' } });
    assert.deepEqual(
      [await rocket.next(), await rocket.next()],
      [{ authenticated: ROCKET_USER.user }, { subscribed: 'watch' }],
    );
    const chat = await RawClient.connect(server.wsUrl('/ws?username=watcher'));
    return new Watchers(site, rocket, chat);
  }

  async check(server: FuzzServer, tag: string): Promise<void> {
    await sitePost(server, 'watch', { tag });
    await frameMatching(
      this.site,
      (m) => m.message === 'watch' && m.body?.tag === tag,
      `site watcher frame ${tag}`,
    );
    await frameMatching(
      this.rocket,
      (m) => m.channel === 'watch' && m.data?.tag === tag,
      `rocket watcher frame ${tag}`,
    );
    const speaker = await RawClient.connect(server.wsUrl('/ws?username=speaker'));
    speaker.send({ room: 'watch', text: `watch ${tag}` });
    await frameMatching(this.chat, (m) => m.text === `watch ${tag}`, `chat watcher frame ${tag}`);
    await speaker.close();
  }

  close(): Promise<unknown> {
    return Promise.all([this.site.close(), this.rocket.close(), this.chat.close()]);
  }
}
