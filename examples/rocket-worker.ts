// A backend worker for a rocket vhost: it consumes the vhost's trigger topic through the mesh
// backend API (`/ws/v1`, `queue.pop`) and answers every trigger with `mesh.send` to the
// triggering client's `client_id`. Protocol: docs/protocol/rocket.md ("Workers").
//
// Standalone:
//   SWITCHBOARD_URL=ws://127.0.0.1:6789 SWITCHBOARD_SITE=demo SWITCHBOARD_API_KEY=... \
//     node dist/examples/rocket-worker.js
// (SWITCHBOARD_TRIGGER_TOPIC overrides the topic, default `trigger`.)
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';

/** What a rocket `trigger` puts on the topic (mesh `queue.pop` event → `p.d`). */
export interface Trigger {
  event: string;
  data: unknown;
  /** The rocket user who triggered it. */
  user: string;
  /** The triggering connection: where the answer goes. */
  client_id: string;
}

export interface WorkerOptions {
  /** Server base URL: ws://host:port (http:// works too). */
  url: string;
  /** A mesh API key of the namespace (`api_keys`). */
  key: string;
  /** The namespace (vhost) whose triggers to consume. */
  site: string;
  /** The vhost's `rocket.trigger_topic`; default `trigger`. */
  topic?: string;
  /** The answer to one trigger, sent to its client as JSON text; default: an echo. */
  handle?: (trigger: Trigger) => unknown | Promise<unknown>;
  /** Where to report problems; default: stderr. */
  onError?: (message: string) => void;
}

/** What arrives on /ws/v1: a reply `{E, r, i}` or an event `{e, p, id}`. */
interface MeshFrame {
  E?: { c: number; m: string } | null;
  i?: number | string | null;
  e?: string;
  p?: { n: number; c: string; t: string; d: Trigger };
}

export interface Worker {
  /** Triggers answered so far. */
  readonly handled: number;
  close(): Promise<void>;
}

/** The default answer: `{"reply": {"event", "user", "data"}}`, the trigger echoed back. */
export function echo(trigger: Trigger): unknown {
  return { reply: { event: trigger.event, user: trigger.user, data: trigger.data ?? null } };
}

/** Connect, start consuming the trigger topic, and resolve once the server confirmed it. */
export function runWorker(options: WorkerOptions): Promise<Worker> {
  const topic = options.topic ?? 'trigger';
  const handle = options.handle ?? echo;
  const onError = options.onError ?? ((m: string) => process.stderr.write(`rocket-worker: ${m}\n`));
  const base = options.url.replace(/^http/, 'ws').replace(/\/+$/, '');
  const ws = new WebSocket(`${base}/ws/v1?site=${encodeURIComponent(options.site)}`, {
    headers: { authorization: `Bearer ${options.key}` },
  });
  let nextId = 1;
  let handled = 0;
  const popId = nextId++;
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));

  const answer = async (trigger: Trigger) => {
    try {
      const reply = await handle(trigger);
      const text = typeof reply === 'string' ? reply : JSON.stringify(reply);
      ws.send(JSON.stringify({ m: 'mesh.send', p: { c: trigger.client_id, d: text }, i: nextId++ }));
      handled++;
    } catch (err) {
      onError(`handler failed for trigger "${trigger.event}": ${err instanceof Error ? err.message : err}`);
    }
  };

  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
    });
    ws.once('open', () => ws.send(JSON.stringify({ m: 'queue.pop', p: { t: [topic] }, i: popId })));
    ws.on('message', (raw: Buffer) => {
      let msg: MeshFrame;
      try {
        msg = JSON.parse(raw.toString('utf8'));
      } catch {
        return; // not for us (e.g. a "pong" text frame)
      }
      if (msg.e === 'queue.pop' && msg.p?.t === topic) {
        void answer(msg.p.d);
      } else if (msg.i === popId) {
        if (msg.E) {
          reject(new Error(`queue.pop refused: ${msg.E.c} ${msg.E.m}`));
          ws.close();
          return;
        }
        ws.off('error', reject);
        ws.on('error', (err) => onError(err.message));
        resolve({
          get handled() {
            return handled;
          },
          close: () => {
            if (ws.readyState !== WebSocket.CLOSED) ws.close(1000);
            return closed;
          },
        });
      } else if (msg.E) {
        // A mesh.send that failed: the client left before the answer.
        onError(`mesh error ${msg.E.c}: ${msg.E.m}`);
      }
    });
  });
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const env = process.env;
  const key = env.SWITCHBOARD_API_KEY;
  const site = env.SWITCHBOARD_SITE;
  if (!key || !site) {
    process.stderr.write('set SWITCHBOARD_API_KEY and SWITCHBOARD_SITE (and SWITCHBOARD_URL)\n');
    process.exit(2);
  }
  runWorker({
    url: env.SWITCHBOARD_URL ?? 'ws://127.0.0.1:6789',
    key,
    site,
    topic: env.SWITCHBOARD_TRIGGER_TOPIC,
  }).then(
    (worker) => {
      process.stdout.write(`rocket-worker: consuming triggers of ${site}\n`);
      const stop = () => void worker.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err) => {
      process.stderr.write(`rocket-worker: ${err.message}\n`);
      process.exit(1);
    },
  );
}
