// A webhook endpoint as an app writes one with the `pusher` SDK: every request is checked with
// `pusher.webhook(...).isValid()` and its events kept. It can be told to fail the next requests.
import { createServer, type Server } from 'node:http';
import Pusher from 'pusher';

export interface WebhookRequest {
  valid: boolean;
  events: { name: string; channel: string; [k: string]: unknown }[];
  timeMs: number;
}

export interface WebhookReceiver {
  url: string;
  requests: WebhookRequest[];
  /** Answer the next `n` requests with HTTP 500. */
  failNext(n: number): void;
  /** Attempts, failed ones included. */
  attempts(): number;
  /** Resolve once `count` events (of valid requests) arrived, or reject after `ms`. */
  waitForEvents(count: number, ms?: number): Promise<WebhookRequest['events']>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(app: {
  app_id: string;
  key: string;
  secret: string;
}): Promise<WebhookReceiver> {
  const sdk = new Pusher({ appId: app.app_id, key: app.key, secret: app.secret, host: '127.0.0.1' });
  const requests: WebhookRequest[] = [];
  let failing = 0;
  let attempts = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      attempts++;
      if (failing > 0) {
        failing--;
        res.statusCode = 500;
        return res.end('try later');
      }
      const hook = sdk.webhook({ headers: req.headers as Record<string, string>, rawBody: body });
      const valid = hook.isValid();
      requests.push({
        valid,
        events: valid ? (hook.getEvents() as unknown as WebhookRequest['events']) : [],
        timeMs: valid ? hook.getTime().getTime() : 0,
      });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const events = () => requests.flatMap((r) => r.events);
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    requests,
    failNext: (n) => {
      failing = n;
    },
    attempts: () => attempts,
    waitForEvents: async (count, ms = 10_000) => {
      const deadline = Date.now() + ms;
      while (events().length < count) {
        if (Date.now() > deadline)
          throw new Error(
            `only ${events().length} of ${count} webhook events arrived: ${JSON.stringify(events())}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
      return events();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
