// The pusher dialect's part of the config: the `pusher` section that makes a namespace an app,
// and the rule that app ids and keys are unique across namespaces.
import { z } from 'zod';
import { bool, int, nonEmpty, positiveInt, str, stringAt } from '../../app/config-fields.js';

/** Pusher app ids and keys appear in URL paths (`/app/KEY`, `/apps/ID/events`): keep them plain. */
export const PUSHER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const pusherName = () => str().regex(PUSHER_NAME, { error: 'expected 1-64 characters of A-Z a-z 0-9 _ . -' });

/** What a Pusher webhook can report (docs/protocol/pusher.md, "Webhooks"). */
export const PUSHER_WEBHOOK_EVENTS = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
] as const;

const pusherWebhookSchema = z.strictObject(
  {
    url: str()
      .regex(/^https?:\/\/[^\s]+$/, { error: 'expected an http:// or https:// URL' })
      .describe('Where the signed POSTs go'),
    event_types: z
      .array(
        z.enum(PUSHER_WEBHOOK_EVENTS, { error: `expected one of ${PUSHER_WEBHOOK_EVENTS.join(', ')}` }),
        {
          error: 'expected a list of event types',
        },
      )
      .default([...PUSHER_WEBHOOK_EVENTS])
      .describe('The events this URL receives; default: all six'),
  },
  { error: 'expected a mapping with url (and event_types)' },
);

const pusherSchema = z.strictObject(
  {
    app_id: pusherName().describe('The app id of the HTTP API (`/apps/ID/events`); unique'),
    key: pusherName().describe('The app key clients connect with (`/app/KEY`); unique'),
    secret: nonEmpty().describe('Signs channel auth, user sign-in and HTTP API requests'),
    enable_client_messages: bool()
      .default(false)
      .describe('Accept `client-*` events on private and presence channels'),
    activity_timeout: int(1, 3600, 'seconds from 1 to 3600')
      .default(120)
      .describe('Seconds of silence after which clients ping (`activity_timeout` in the handshake)'),
    max_connections: positiveInt()
      .default(10000)
      .describe(
        "The app's WebSocket connections on one node; past it a new one gets error 4004 and is closed",
      ),
    max_client_events_per_second: positiveInt()
      .default(10)
      .describe('Client events one connection may send per second; more get error 4301'),
    max_presence_members: positiveInt()
      .default(100)
      .describe('Distinct users in one presence channel; a new one past it gets subscription_error'),
    max_event_bytes: positiveInt()
      .default(10240)
      .describe("Size of one event's `data` sent through the HTTP API; larger gets 413"),
    max_user_info_bytes: positiveInt()
      .default(1024)
      .describe("Size of one presence member's `channel_data` (JSON text)"),
    webhooks: z
      .array(pusherWebhookSchema, { error: 'expected a list of webhooks' })
      .default([])
      .describe('Signed HTTP POSTs of channel, presence and client events (Pusher webhooks)'),
    webhook_batch_ms: int(0, 60000, 'an integer from 0 to 60000')
      .default(250)
      .describe('Events that happen within this long go out in one webhook request'),
    webhook_retry_ms: positiveInt()
      .default(300000)
      .describe('A failing webhook request is retried with back-off for this long, then dropped'),
    cache_miss_webhook_interval_ms: positiveInt()
      .default(60000)
      .describe(
        'A `cache-` channel found empty by a subscriber is reported (`cache_miss` webhook) at most once per this long across the cluster; every subscriber still gets `pusher:cache_miss`',
      ),
    webhook_queue_size: positiveInt()
      .default(10000)
      .describe('Webhook events one node holds per app while its URL fails; past it the oldest are dropped'),
  },
  { error: 'expected a mapping with app_id, key and secret' },
);

export const pusherNamespaceKeys = {
  pusher: pusherSchema.optional().describe('Makes the namespace a Pusher Channels app'),
};

export type PusherConfig = z.output<typeof pusherSchema>;

/** Whether a namespace of the config (which may be partly invalid) is a Pusher app. */
export function hasPusherApp(cfg: unknown): boolean {
  const namespaces = (cfg as { namespaces?: unknown } | undefined)?.namespaces;
  if (typeof namespaces !== 'object' || namespaces === null) return false;
  return Object.values(namespaces).some((ns) => stringAt(ns, 'pusher', 'key') !== undefined);
}

/** Each app id and each key names one app: a second namespace with the same is refused. */
export function checkPusherApps(cfg: unknown, ctx: z.RefinementCtx): void {
  const namespaces = (cfg as { namespaces?: unknown } | undefined)?.namespaces;
  if (typeof namespaces !== 'object' || namespaces === null) return;
  const seen = new Map<string, string>();
  for (const [name, ns] of Object.entries(namespaces)) {
    for (const field of ['app_id', 'key'] as const) {
      const value = stringAt(ns, 'pusher', field);
      if (value === undefined) continue;
      const other = seen.get(`${field}\0${value}`);
      if (other === undefined) seen.set(`${field}\0${value}`, name);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['namespaces', name, 'pusher', field],
          message: `${value} is already the pusher ${field} of namespace ${other}`,
        });
    }
  }
}
