/**
 * Errors the hub raises. Each has a stable `code`; dialects map codes to their own wire shapes
 * (site error strings, mesh numeric codes, rocket error ids), listed in docs/errors.md.
 */
export const HubErrorCode = {
  unknownNamespace: 'unknown_namespace',
  alreadySubscribed: 'already_subscribed',
  notSubscribed: 'not_subscribed',
  duplicateConsumer: 'duplicate_consumer',
  connectionClosed: 'connection_closed',
  unknownClient: 'unknown_client',
  invalidCall: 'invalid_call',
  engineUnavailable: 'engine_unavailable',
  /** publish: the data is nested deeper than limits.max_json_depth (it could never be rendered). */
  invalidData: 'invalid_data',
  /** subscribe: the channel name breaks the rule of core/channel-name.ts (length, control characters). */
  invalidChannel: 'invalid_channel',
  /** subscribe: the connection already holds limits.max_channels_per_connection subscriptions. */
  tooManyChannels: 'too_many_channels',
  /** sendTo: the connection exists but its socket refused the write (closed, over its buffer). */
  unwritable: 'unwritable',
  /** A routed operation whose node did not answer in time, is shutting down or not started. */
  nodeUnreachable: 'node_unreachable',
} as const;
export type HubErrorCode = (typeof HubErrorCode)[keyof typeof HubErrorCode];

const CODES = new Set<string>(Object.values(HubErrorCode));
export const isHubErrorCode = (v: unknown): v is HubErrorCode => typeof v === 'string' && CODES.has(v);

export class HubError extends Error {
  constructor(
    readonly code: HubErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}
