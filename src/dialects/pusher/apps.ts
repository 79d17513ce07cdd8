import type { Config, PusherConfig } from '../../app/config-schema.js';

/** One Pusher app: a namespace with `pusher: {app_id, key, secret, …}`. */
export interface PusherApp {
  namespace: string;
  config: PusherConfig;
}

/** The configured apps, found by key (WebSocket `/app/KEY`) or by id (HTTP `/apps/ID/…`). */
export class PusherApps {
  private readonly byKey = new Map<string, PusherApp>();
  private readonly byId = new Map<string, PusherApp>();

  constructor(config: Config) {
    for (const [namespace, ns] of Object.entries(config.namespaces)) {
      if (ns.pusher === undefined) continue;
      const app = { namespace, config: ns.pusher };
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
