import { HubError, type HubErrorCode } from '../../core/errors.js';

/**
 * A dialect's answer to each hub error code, in its own wire terms. A `Record` over every code: when
 * the hub gains a code, every dialect's table is a type error until it says how to answer it.
 */
export type HubErrorTable<W> = Readonly<Record<HubErrorCode, W>>;

/** The table's answer for a HubError; undefined for anything else (a bug or a dialect's own error). */
export function wireErrorOf<W>(table: HubErrorTable<W>, err: unknown): W | undefined {
  return err instanceof HubError ? table[err.code] : undefined;
}
