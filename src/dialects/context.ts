import type { Logger } from 'pino';
import type { Config } from '../app/config-schema.js';
import type { Hub } from '../core/hub.js';
import type { SocketTransport } from '../transport/transport-state.js';

/** What every dialect is built from: the hub to act on, the config to read, a logger. */
export interface DialectContext {
  hub: Hub;
  config: Config;
  logger: Logger;
  /** When this server started (ms since the epoch), for uptime figures. */
  startedAt: number;
  /** Is the server able to serve everything it promises (engine reachable)? */
  ready(): boolean;
  /** The listener's write batcher and transport counters (this server's own: metrics read them). */
  transport: SocketTransport;
}
