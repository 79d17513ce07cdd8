import type { ControlReply } from '../engines/engine.js';
import { channelNameProblem } from './channel-name.js';
import type { Connection } from './connection.js';
import { HubError, HubErrorCode } from './errors.js';
import type { Hub } from './hub.js';
import type { JsonValue } from './types.js';

/**
 * What a backend may do to a connection on whatever node holds it. A dialect maps its own names
 * onto these (mesh `conn.call` `set_context_value`, the admin API's subscribe route); the call
 * runs on the node that holds the connection.
 */
export type RemoteCall =
  | { fn: 'subscribe'; channels: string[] }
  | { fn: 'unsubscribe'; channels: string[] }
  | { fn: 'setContext'; context: { [key: string]: JsonValue } }
  | { fn: 'setContextValue'; key: string; value: JsonValue };

const invalid = (error: string): ControlReply => ({ ok: false, error, code: HubErrorCode.invalidCall });

/**
 * Run a call on a local connection. The call may come from another node (of another release), so
 * its shape is checked again here; channel names are checked before any is subscribed, so a bad
 * one changes nothing.
 */
export async function handleLocalCall(hub: Hub, conn: Connection, call: RemoteCall): Promise<ControlReply> {
  switch (call.fn) {
    case 'setContextValue':
      if (typeof call.key !== 'string' || call.value === undefined)
        return invalid('setContextValue takes a key and a value');
      conn.setContextValue(call.key, call.value);
      hub.contextChanged(conn);
      return { ok: true };
    case 'setContext':
      if (typeof call.context !== 'object' || call.context === null || Array.isArray(call.context)) {
        return invalid('setContext takes an object');
      }
      conn.context = { ...call.context };
      hub.contextChanged(conn);
      return { ok: true };
    case 'subscribe': {
      if (!validChannels(call.channels)) return invalid('subscribe takes one or more channel names');
      for (const ch of call.channels) {
        const problem = channelNameProblem(ch);
        if (problem !== undefined) return invalid(problem);
      }
      try {
        for (const ch of call.channels) {
          if (!conn.hasSubscription(ch)) await hub.subscribe(conn, ch, { from: { kind: 'live' } });
        }
      } catch (err) {
        // too_many_channels (channels before the one over the limit stay subscribed), closed, engine.
        if (err instanceof HubError) return { ok: false, error: err.message, code: err.code };
        throw err;
      }
      return { ok: true };
    }
    case 'unsubscribe':
      if (!validChannels(call.channels)) return invalid('unsubscribe takes one or more channel names');
      for (const ch of call.channels) await hub.unsubscribe(conn, ch);
      return { ok: true };
    default:
      return invalid(`unknown function "${String((call as { fn?: unknown }).fn)}"`);
  }
}

function validChannels(channels: unknown): channels is string[] {
  return (
    Array.isArray(channels) &&
    channels.length > 0 &&
    channels.every((c) => typeof c === 'string' && c.length > 0)
  );
}
