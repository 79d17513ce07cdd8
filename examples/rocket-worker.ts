// A backend worker for a rocket vhost, written on the backend SDK's MeshBackend
// (`switchboard/backend`): it consumes the vhost's trigger topic (`/ws/v1`, `queue.pop`) and
// answers every trigger with `mesh.send` to the triggering client's `client_id`. Protocol: docs/protocol/rocket.md ("Workers").
//
// Standalone:
//   SWITCHBOARD_URL=ws://127.0.0.1:6789 SWITCHBOARD_SITE=demo SWITCHBOARD_API_KEY=... \
//     node dist/examples/rocket-worker.js
// (SWITCHBOARD_TRIGGER_TOPIC overrides the topic, default `trigger`.)
import { pathToFileURL } from 'node:url';
import { MeshBackend } from '../src/backend/index.js';

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
export async function runWorker(options: WorkerOptions): Promise<Worker> {
  const handle = options.handle ?? echo;
  const onError = options.onError ?? ((m: string) => process.stderr.write(`rocket-worker: ${m}\n`));
  const mesh = new MeshBackend({ url: options.url, key: options.key, site: options.site });
  mesh.on('error', (err) => onError(err.message));
  let handled = 0;

  const answer = async (trigger: Trigger) => {
    try {
      const reply = await handle(trigger);
      // The text as is: the client gets one frame in the rocket shape. Counted once written
      // (the client may read the answer before the server confirms the send to us).
      const sent = mesh.send(trigger.client_id, typeof reply === 'string' ? reply : JSON.stringify(reply));
      handled++;
      await sent;
    } catch (err) {
      // A handler that threw, or a mesh.send whose client left before the answer (401).
      onError(`trigger "${trigger.event}" not answered: ${err instanceof Error ? err.message : err}`);
    }
  };

  try {
    await mesh.consume<Trigger>(options.topic ?? 'trigger', (item) => answer(item.data));
  } catch (err) {
    await mesh.close();
    throw err;
  }
  return {
    get handled() {
      return handled;
    },
    close: () => mesh.close(),
  };
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
