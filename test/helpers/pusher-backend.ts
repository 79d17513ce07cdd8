// A Pusher app backend as an app would write one with the official `pusher` SDK: the channel
// authorization and user authentication endpoints pusher-js and Laravel Echo call, and the SDK
// itself for triggers. Served on an ephemeral loopback port.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import Pusher from 'pusher';

export interface PusherBackend {
  url: string;
  sdk: Pusher;
  /** Presence identity the next channel authorizations get, per socket id (default: "u-SOCKET"). */
  users: Map<string, { user_id: string; user_info?: Record<string, unknown> }>;
  close(): Promise<void>;
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      if ((req.headers['content-type'] ?? '').includes('json')) {
        const json = JSON.parse(body || '{}') as Record<string, string>;
        resolve(new URLSearchParams(json));
      } else resolve(new URLSearchParams(body));
    });
    req.on('error', reject);
  });
}

export async function startPusherBackend(
  serverUrl: string,
  app: { app_id: string; key: string; secret: string },
): Promise<PusherBackend> {
  const { hostname, port } = new URL(serverUrl);
  const sdk = new Pusher({
    appId: app.app_id,
    key: app.key,
    secret: app.secret,
    host: hostname,
    port,
    useTLS: false,
  });
  const users = new Map<string, { user_id: string; user_info?: Record<string, unknown> }>();
  const server: Server = createServer(async (req, res) => {
    // Browsers call it from another origin (the test page).
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', '*');
    if (req.method === 'OPTIONS') return res.end();
    const form = await readForm(req);
    const socketId = form.get('socket_id') ?? '';
    let answer: unknown;
    if (req.url?.startsWith('/pusher/auth') || req.url?.startsWith('/broadcasting/auth')) {
      const channel = form.get('channel_name') ?? '';
      const user = users.get(socketId) ?? { user_id: `u-${socketId}` };
      answer = channel.startsWith('presence-')
        ? sdk.authorizeChannel(socketId, channel, user)
        : sdk.authorizeChannel(socketId, channel);
    } else if (req.url?.startsWith('/pusher/user-auth')) {
      const user = users.get(socketId) ?? { user_id: `u-${socketId}` };
      answer = sdk.authenticateUser(socketId, { id: user.user_id, ...(user.user_info ?? {}) });
    } else {
      res.statusCode = 404;
      return res.end();
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    sdk,
    users,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
