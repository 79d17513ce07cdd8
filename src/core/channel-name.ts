/**
 * The channel name rule every dialect shares, checked by `Hub.subscribe`: 1 to 255 characters
 * (code points), none a control character (C0, DEL, C1) or a lone surrogate. Anything else a
 * client could type (spaces, Unicode, `/`, `:`) is allowed, so every dialect can name every
 * channel another can (chat rooms are Unicode titles). Rocket's codec applies the same rule.
 */
export const CHANNEL_NAME = /^[^\p{Cc}\p{Cs}]{1,255}$/u;

export const CHANNEL_NAME_RULE = '1-255 characters, no control characters';

/** Why `name` is not a valid channel name, or undefined when it is. */
export function channelNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'channel name is empty';
  // A 255-code-point name is at most 510 UTF-16 units: skip the regex on anything longer.
  if (name.length > 510 || !CHANNEL_NAME.test(name)) return `channel name must be ${CHANNEL_NAME_RULE}`;
  return undefined;
}

/** The default of limits.max_channels_per_connection. */
export const MAX_CHANNELS_PER_CONNECTION = 128;
