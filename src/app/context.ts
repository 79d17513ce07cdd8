import type { Logger } from 'pino';
import type { Hub } from '../core/hub.js';
import type { Config } from './config-schema.js';

/** What every dialect is built from: the hub to act on, the config to read, a logger. */
export interface DialectContext {
  hub: Hub;
  config: Config;
  logger: Logger;
  /** When this server started (ms since the epoch), for uptime figures. */
  startedAt: number;
  /** Is the server able to serve everything it promises (engine reachable)? */
  ready(): boolean;
}
