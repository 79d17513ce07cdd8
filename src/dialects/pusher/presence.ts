// Presence channels on the engine's PresenceStore: a user joins with its first connection and
// leaves with its last, cluster-wide, and each transition is published once on the channel as a
// `pusher_internal:member_added` / `member_removed` event that every node fans out.
import type { Hub } from '../../core/hub.js';
import type { JsonValue } from '../../core/types.js';
import type { Departure, PresenceMember } from '../../engines/presence.js';
import { MEMBER_ADDED, MEMBER_REMOVED } from './render.js';
import type { PusherSession } from './session.js';

export type ChannelData = { ok: true; member: PresenceMember } | { ok: false; message: string };

/** `channel_data`: `{"user_id": string | number, "user_info"?: any}`, at most `maxBytes` long. */
export function parseChannelData(text: string | undefined, maxBytes: number): ChannelData {
  if (text === undefined) return { ok: false, message: 'presence channels need channel_data' };
  if (Buffer.byteLength(text) > maxBytes)
    return { ok: false, message: `channel_data is larger than ${maxBytes} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'channel_data is not JSON' };
  }
  const v = value as { user_id?: unknown; user_info?: unknown } | null;
  const id = v?.user_id;
  const userId = typeof id === 'number' && Number.isFinite(id) ? String(id) : id;
  if (typeof userId !== 'string' || userId === '' || userId.length > 200)
    return { ok: false, message: 'channel_data needs a "user_id" (a non-empty string or a number)' };
  const member: PresenceMember = { userId };
  if (v!.user_info !== undefined) member.info = v!.user_info as JsonValue;
  return { ok: true, member };
}

/** Join the store; publishes member_added for a user's first connection. False: channel full. */
export async function joinPresence(
  s: PusherSession,
  channel: string,
  member: PresenceMember,
): Promise<boolean> {
  const hub = s.hub;
  const result = await hub.presence!.join(s.app.namespace, channel, {
    connection: s.conn.id,
    node: hub.nodeId,
    member,
    maxMembers: s.app.config.max_presence_members,
  });
  if (result.full) return false;
  s.presence.set(channel, member.userId);
  if (result.first) {
    const data = JSON.stringify({ user_id: member.userId, user_info: member.info ?? null });
    await hub.publish(s.app.namespace, channel, { event: MEMBER_ADDED, data, except: s.conn.id });
    s.onMember('member_added', channel, member.userId);
  }
  return true;
}

export async function leavePresence(s: PusherSession, channel: string): Promise<void> {
  s.presence.delete(channel);
  const left = await s.hub.presence!.leave(s.app.namespace, channel, s.conn.id);
  if (left?.last) {
    await publishRemoved(s.hub, s.app.namespace, channel, left.userId);
    s.onMember('member_removed', channel, left.userId);
  }
}

export function publishRemoved(
  hub: Hub,
  namespace: string,
  channel: string,
  userId: string,
): Promise<unknown> {
  return hub.publish(namespace, channel, {
    event: MEMBER_REMOVED,
    data: JSON.stringify({ user_id: userId }),
  });
}

/** Users whose node died: tell the channel they left (this node won them, see PresenceStore). */
export function announceDepartures(
  hub: Hub,
  departures: Departure[],
  onMember?: (d: Departure) => void,
): Promise<unknown> {
  return Promise.allSettled(
    departures.map(async (d) => {
      await publishRemoved(hub, d.namespace, d.channel, d.userId);
      onMember?.(d);
    }),
  );
}
