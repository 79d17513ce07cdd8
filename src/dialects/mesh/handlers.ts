/**
 * The mesh calls that both transports serve (HTTP and /ws/v1): they map a typed call to the hub and
 * the hub's answer to a result or a MeshError. A backend only reaches connections of the namespace
 * its API key belongs to.
 */
import { HubError, HubErrorCode } from '../../core/errors.js';
import type { Hub } from '../../core/hub.js';
import type { RemoteCall } from '../../core/remote-call.js';
import type { JsonValue } from '../../core/types.js';
import { wireErrorOf } from '../kit/hub-errors.js';
import { type ConnCall, MeshMethod, type PublishCall, type SendCall } from './codec.js';
import { MESH_HUB_ERRORS, MeshError, MeshErrorCode } from './errors.js';

export type MeshResult = Record<string, JsonValue>;

/** What each method answers when it fails for a reason with no code of its own. */
export const FAILURE_CODE: Record<MeshMethod, MeshErrorCode> = {
  [MeshMethod.send]: MeshErrorCode.sendFailed,
  [MeshMethod.publish]: MeshErrorCode.sendFailed,
  [MeshMethod.pop]: MeshErrorCode.consumeFailed,
  [MeshMethod.unpop]: MeshErrorCode.unpopFailed,
  [MeshMethod.call]: MeshErrorCode.callFailed,
};

/** The mesh code of `method`'s failure `err` (MESH_HUB_ERRORS, else the method's own). */
export function meshCodeOf(err: unknown, method: MeshMethod): MeshErrorCode {
  return wireErrorOf(MESH_HUB_ERRORS, err) ?? FAILURE_CODE[method];
}

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * `what failed: why`, once: an engine error already reads "publish failed: Redis is unreachable
 * (…)", and must not come out as "publish failed: publish failed: …".
 */
function failed(what: string, err: unknown): string {
  const text = reason(err);
  return text.startsWith(`${what} failed: `) ? text : `${what} failed: ${text}`;
}

/**
 * The words of a failed routed call: a refusal from the node (unknown client, unwritable, bad
 * call) as it said it, an engine outage as `what failed: why`.
 */
function routedFailure(what: string, err: unknown): string {
  return err instanceof HubError && err.code !== HubErrorCode.engineUnavailable
    ? err.message
    : failed(what, err);
}

/** mesh.send → `{s: true}`; unknown, gone, foreign or unwritable client → 401. */
export async function runSend(hub: Hub, namespace: string, call: SendCall): Promise<MeshResult> {
  try {
    await hub.sendTo(call.client, call.data, call.binary, namespace);
  } catch (err) {
    throw new MeshError(meshCodeOf(err, MeshMethod.send), routedFailure('send', err));
  }
  return { s: true };
}

/**
 * mesh.publish → `{s, f}`: subscriber writes that succeeded and failed, every dialect, every node
 * that answered in bounded time. The publication enters the channel's history. The mesh API lists
 * only 101 for publish; an engine that cannot take the publication (an outage) answers 401, the
 * API's "send failed" code, never anything that reads as a refused key.
 */
export async function runPublish(hub: Hub, namespace: string, call: PublishCall): Promise<MeshResult> {
  try {
    const { delivered } = await hub.publish(namespace, call.channel, { data: call.data }, { count: true });
    return { s: delivered?.delivered ?? 0, f: delivered?.failed ?? 0 };
  } catch (err) {
    throw new MeshError(meshCodeOf(err, MeshMethod.publish), failed('publish', err));
  }
}

/**
 * conn.call's function names and argument lists, mapped onto the hub's typed calls. Checked here,
 * before the call is routed, so a malformed call answers 101 whichever node holds the client.
 */
export function remoteCallOf(fn: string, args: JsonValue[]): RemoteCall | string {
  switch (fn) {
    case 'set_context_value': {
      const [key, value] = args;
      if (args.length !== 2 || typeof key !== 'string' || value === undefined) {
        return 'set_context_value takes [key, value] with a string key';
      }
      return { fn: 'setContextValue', key, value };
    }
    case 'set_context': {
      const [context] = args;
      if (args.length !== 1 || typeof context !== 'object' || context === null || Array.isArray(context)) {
        return 'set_context takes [object]';
      }
      return { fn: 'setContext', context };
    }
    case 'subscribe':
    case 'unsubscribe':
      if (args.length === 0 || !args.every((a) => typeof a === 'string' && a.length > 0)) {
        return `${fn} takes one or more channel names`;
      }
      return { fn, channels: args as string[] };
    default:
      return `unknown function "${fn}"`;
  }
}

/** conn.call → `{s: true}`; unknown function or bad arguments → 101; unknown client or failure → 301. */
export async function runConnCall(hub: Hub, namespace: string, call: ConnCall): Promise<MeshResult> {
  const remote = remoteCallOf(call.fn, call.args);
  if (typeof remote === 'string') throw new MeshError(MeshErrorCode.invalidParams, remote);
  try {
    await hub.call(call.client, remote, namespace);
  } catch (err) {
    throw new MeshError(meshCodeOf(err, MeshMethod.call), routedFailure('call', err));
  }
  return { s: true };
}
