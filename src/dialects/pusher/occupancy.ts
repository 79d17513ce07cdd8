// channel_occupied / channel_vacated for an app's webhooks, cluster-wide and once each: see
// OCCUPANCY_PREFIX in apps.ts for how the presence store keeps the count.
import { OCCUPANCY_PREFIX, OCCUPANT } from './apps.js';
import type { PusherSession } from './session.js';

const wanted = (s: PusherSession) =>
  s.hub.presence !== undefined &&
  (s.app.webhooks?.wants('channel_occupied') || s.app.webhooks?.wants('channel_vacated'));

export async function occupy(s: PusherSession, channel: string): Promise<void> {
  if (!wanted(s)) return;
  const joined = await s.hub.presence!.join(OCCUPANCY_PREFIX + s.app.namespace, channel, {
    connection: s.conn.id,
    node: s.hub.nodeId,
    member: { userId: OCCUPANT },
    maxMembers: 1,
  });
  s.occupying.add(channel);
  if (!joined.full && joined.first) s.app.webhooks!.add({ name: 'channel_occupied', channel });
}

export async function vacate(s: PusherSession, channel: string): Promise<void> {
  if (!s.occupying.delete(channel)) return;
  const left = await s.hub.presence!.leave(OCCUPANCY_PREFIX + s.app.namespace, channel, s.conn.id);
  if (left?.last) s.app.webhooks?.add({ name: 'channel_vacated', channel });
}
