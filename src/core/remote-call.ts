import type { ControlReply } from '../engines/engine.js';
import { channelNameProblem } from './channel-name.js';
import type { Connection } from './connection.js';
import { HubError, HubErrorCode } from './errors.js';
import type { Hub } from './hub.js';
import type { JsonValue } from './types.js';

const invalid = (error: string): ControlReply => ({ ok: false, error, code: HubErrorCode.invalidCall });

function isPlainObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function channelArgs(args: JsonValue[]): string[] | undefined {
  if (args.length === 0) return undefined;
  return args.every((a) => typeof a === 'string' && a.length > 0) ? (args as string[]) : undefined;
}

/**
 * The functions a backend may call on any connection (mesh `conn.call`). Runs on the node that
 * holds the connection. Unknown functions and malformed arguments answer `invalid_call`.
 */
export async function handleLocalCall(
  hub: Hub,
  conn: Connection,
  fn: string,
  args: JsonValue[],
): Promise<ControlReply> {
  switch (fn) {
    case 'set_context_value': {
      const [key, value] = args;
      if (args.length !== 2 || typeof key !== 'string' || value === undefined) {
        return invalid('set_context_value takes [key, value] with a string key');
      }
      conn.setContextValue(key, value);
      return { ok: true };
    }
    case 'set_context': {
      const [ctx] = args;
      if (args.length !== 1 || !isPlainObject(ctx)) return invalid('set_context takes [object]');
      conn.context = { ...ctx };
      return { ok: true };
    }
    case 'subscribe': {
      const channels = channelArgs(args);
      if (!channels) return invalid('subscribe takes one or more channel names');
      // Every name is checked before any is subscribed, so a bad one changes nothing.
      for (const ch of channels) {
        const problem = channelNameProblem(ch);
        if (problem !== undefined) return invalid(problem);
      }
      try {
        for (const ch of channels) {
          if (!conn.hasSubscription(ch)) await hub.subscribe(conn, ch, { after: 0 });
        }
      } catch (err) {
        // too_many_channels (channels before the one over the limit stay subscribed), closed, engine.
        if (err instanceof HubError) return { ok: false, error: err.message, code: err.code };
        throw err;
      }
      return { ok: true };
    }
    case 'unsubscribe': {
      const channels = channelArgs(args);
      if (!channels) return invalid('unsubscribe takes one or more channel names');
      for (const ch of channels) await hub.unsubscribe(conn, ch);
      return { ok: true };
    }
    default:
      return invalid(`unknown function "${fn}"`);
  }
}
