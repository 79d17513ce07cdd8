// The rocket dialect's part of the config: the `rocket` section that makes a namespace a vhost.
import { z } from 'zod';
import { nonEmpty, str, urlPath } from '../../app/config-fields.js';

export const PERMISSIONS = ['READ', 'WRITE', 'MANAGE'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Rocket user names follow the namespace rule (the original protocol's INVALID_USER_NAME leaves the format open). */
export const USER_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

const rocketUserSchema = z.strictObject(
  {
    // An empty secret is deliberate in the original: that user accepts any secret.
    secret: str().describe("The user's secret. An empty string accepts any secret"),
    permissions: z
      .array(z.enum(PERMISSIONS, { error: `expected one of ${PERMISSIONS.join(', ')}` }), {
        error: 'expected a list of permissions',
      })
      .describe('What the user may do: READ, WRITE and/or MANAGE'),
  },
  { error: 'expected a mapping with secret and permissions' },
);

const rocketSchema = z.strictObject(
  {
    path: urlPath().describe(
      'WebSocket path of the vhost, e.g. /demo. Unique, and not a reserved path or mesh.client_path',
    ),
    trigger_topic: nonEmpty().default('trigger').describe('Queue topic that receives `trigger` events'),
    users: z
      .record(
        str().regex(USER_NAME, { error: 'user names are 1-64 characters of A-Z a-z 0-9 _ . @ -' }),
        rocketUserSchema,
        {
          error: 'expected a mapping of user name to user',
        },
      )
      .default({})
      .describe('User name → `{ secret, permissions }`'),
  },
  { error: 'expected a mapping' },
);

export const rocketNamespaceKeys = {
  rocket: rocketSchema.optional().describe('Makes the namespace a WebRocket vhost'),
};

export type RocketConfig = z.output<typeof rocketSchema>;
