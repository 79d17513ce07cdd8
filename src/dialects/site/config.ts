// The site dialect's part of the config: the keys it reads in every namespace.
import { bool, nonEmpty, positiveInt } from '../../app/config-fields.js';

export const siteNamespaceKeys = {
  secret: nonEmpty()
    .optional()
    .describe('site: HMAC key for `subscribe`. Without it, no site subscription can authenticate'),
  post_secret: nonEmpty()
    .optional()
    .describe('site: HMAC key for `POST /post`. Without it, no `/post` can authenticate'),
  token_ttl: positiveInt().default(300).describe('Seconds a `/token` stays valid (its `expires`)'),
  post_token_reuse: bool()
    .default(true)
    .describe(
      'site: false makes `POST /post` accept each token once (a replay gets 403 `token already used`)',
    ),
};
