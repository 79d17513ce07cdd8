import type { Config } from '../../app/config-schema.js';
import type { NewChannelRate } from '../kit/new-channel-rate.js';
import type { CacheMissWebhooks } from './cache-miss.js';
import type { PusherConfig } from './config.js';
import type { WebhookSender } from './webhooks.js';

/** One Pusher app: a namespace with `pusher: {app_id, key, secret, …}`. */
export interface PusherApp {
  namespace: string;
  config: PusherConfig;
  /** Set by the dialect when the app has webhooks. */
  webhooks?: WebhookSender;
  /** Set by the dialect when a webhook wants `cache_miss`. */
  cacheMisses?: CacheMissWebhooks;
  /**
   * Set by the dialect: `max_channels`, what client events may make the app's namespace hold, and
   * `max_new_channels_per_minute`, how fast one connection may add to it.
   */
  channels?: NewChannelRate;
  /** The app's open connections on this node (its quota is `max_connections`: error 4004). */
  connections: number;
}

/**
 * Channel occupancy (for `channel_occupied` / `channel_vacated`) is kept in the presence store as
 * one pseudo-user per channel in a namespace of its own: its first join is the channel's first
 * Pusher subscriber anywhere in the cluster, its last leave the last, and a dead node's
 * subscriptions leave with the same once-only sweep as presence members.
 */
export const OCCUPANCY_PREFIX = '\u0000occupancy:';
export const OCCUPANT = '*';

/** The configured apps, found by key (WebSocket `/app/KEY`) or by id (HTTP `/apps/ID/…`). */
export class PusherApps {
  private readonly byKey = new Map<string, PusherApp>();
  private readonly byId = new Map<string, PusherApp>();

  readonly all: PusherApp[] = [];

  constructor(config: Config) {
    for (const [namespace, ns] of Object.entries(config.namespaces)) {
      if (ns.pusher === undefined) continue;
      const app: PusherApp = { namespace, config: ns.pusher, connections: 0 };
      this.all.push(app);
      this.byKey.set(ns.pusher.key, app);
      this.byId.set(ns.pusher.app_id, app);
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  withKey(key: string): PusherApp | undefined {
    return this.byKey.get(key);
  }

  withId(id: string): PusherApp | undefined {
    return this.byId.get(id);
  }

  withNamespace(namespace: string): PusherApp | undefined {
    return this.all.find((a) => a.namespace === namespace);
  }
}

/**
 * A Pusher socket id is `\d+.\d+`; Switchboard's is `NODE.CLIENT_ID`, so the HTTP API can name a
 * connection (`socket_id` to exclude, terminate) and the hub can route by the client id.
 */
export function socketIdOf(nodeId: number, clientId: string): string {
  return `${nodeId}.${clientId}`;
}

/** The client id inside a socket id, or undefined when the text is not one. */
export function clientIdOfSocketId(socketId: string): string | undefined {
  const m = /^\d{1,4}\.(\d{1,20})$/.exec(socketId);
  return m ? m[1] : undefined;
}

/** decodeURIComponent that answers undefined for a malformed escape instead of throwing. */
export function decodePathPart(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}
