// Shared setup of the Pusher protocol tests: two apps (tenant isolation), one with client events,
// and raw-frame helpers that compute auth signatures the way Pusher's server SDKs do.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before } from 'node:test';
import { lateBound } from '../helpers/late-bound.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

export type PusherTestServer = Awaited<ReturnType<typeof startTestServer>>;

export const APP = { app_id: '1001', key: 'app-key', secret: 'app-secret', enable_client_messages: true };
export const QUIET = { app_id: '1002', key: 'quiet-key', secret: 'quiet-secret' };

export const PUSHER_NAMESPACES = {
  // A site too, so that site subscribers can watch the same channels.
  app: { secret: 'app-site-secret', post_secret: 'app-post-secret', api_keys: ['app-mesh-key'], pusher: APP },
  quiet: { pusher: QUIET },
};

export function startPusherServer(extra: Record<string, unknown> = {}): Promise<PusherTestServer> {
  return startTestServer({ namespaces: PUSHER_NAMESPACES, ...extra });
}

/** One server for a test file, started before its tests and closed after them. */
export function usePusherServer(extra: Record<string, unknown> = {}): PusherTestServer {
  const server = lateBound<PusherTestServer>('pusher test server');
  before(async () => server.set(await startPusherServer(extra)));
  after(() => server.value?.close());
  return server.proxy;
}

export interface PusherClient {
  raw: RawClient;
  socketId: string;
  /** The app connected to: its secret signs this client's subscriptions. */
  app: { key: string; secret: string };
}

/** A Pusher event as it came off the wire, with `data` parsed when it is a JSON text. */
export async function nextEvent(c: RawClient, timeoutMs?: number): Promise<any> {
  const msg = await c.next(timeoutMs);
  if (typeof msg.data === 'string') {
    try {
      msg.data = JSON.parse(msg.data);
    } catch {
      // a plain-text data stays a string
    }
  }
  return msg;
}

/** The next frame named `event` on `channel` about `userId` (skipping others), within `ms`. */
export async function frameOf(
  c: PusherClient,
  event: string,
  channel: string,
  userId: string,
  ms: number,
): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no ${event} on ${channel} within ${ms} ms`);
    const f = await nextEvent(c.raw, left);
    if (f.event === event && f.channel === channel && f.data?.user_id === userId) return f;
  }
}

export async function connect(
  server: Pick<PusherTestServer, 'wsUrl'>,
  key = APP.key,
  query = 'protocol=7&client=js&version=8.4.0&flash=false',
): Promise<PusherClient> {
  const raw = await RawClient.connect(server.wsUrl(`/app/${key}?${query}`));
  const hello = await nextEvent(raw);
  assert.equal(hello.event, 'pusher:connection_established');
  const app = [APP, QUIET].find((a) => a.key === key) ?? APP;
  return { raw, socketId: hello.data.socket_id, app };
}

export function channelAuth(
  socketId: string,
  channel: string,
  channelData?: string,
  app: { key: string; secret: string } = APP,
): string {
  const text = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return `${app.key}:${createHmac('sha256', app.secret).update(text).digest('hex')}`;
}

/** Subscribe (signing private/presence channels) and expect subscription_succeeded; returns its data. */
export async function subscribe(
  c: PusherClient,
  channel: string,
  member?: { user_id: string; user_info?: unknown },
) {
  const channelData = member === undefined ? undefined : JSON.stringify(member);
  const data: Record<string, string> = { channel };
  if (channel.startsWith('private-') || channel.startsWith('presence-'))
    data.auth = channelAuth(c.socketId, channel, channelData, c.app);
  if (channelData !== undefined) data.channel_data = channelData;
  c.raw.send({ event: 'pusher:subscribe', data });
  const answer = await nextEvent(c.raw);
  assert.equal(answer.event, 'pusher_internal:subscription_succeeded', JSON.stringify(answer));
  assert.equal(answer.channel, channel);
  return answer.data;
}

export async function expectError(c: RawClient, code: number | null, pattern?: RegExp): Promise<string> {
  const msg = await c.next();
  assert.equal(msg.event, 'pusher:error', JSON.stringify(msg));
  assert.equal(msg.data.code, code, JSON.stringify(msg));
  assert.equal(typeof msg.data.message, 'string');
  if (pattern) assert.match(msg.data.message, pattern);
  return msg.data.message;
}

export async function closeAll(...clients: PusherClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.raw.close()));
}

export function signinAuth(socketId: string, userData: string, app = APP): string {
  const text = `${socketId}::user::${userData}`;
  return `${app.key}:${createHmac('sha256', app.secret).update(text).digest('hex')}`;
}
