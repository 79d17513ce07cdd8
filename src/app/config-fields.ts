// The field builders every config section is written with, the server's own and each dialect's
// (src/dialects/<name>/config.ts): every message reads as "expected …" and names what would be
// accepted, so one config file reports its problems in one voice.
import { isIP } from 'node:net';
import { z } from 'zod';

/** Namespace names end up in URLs (`?site=`), Redis keys and metrics labels: keep them plain. */
export const NAMESPACE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export const int = (min: number, max: number, what: string) =>
  z
    .int({ error: `expected ${what}` })
    .min(min, { error: `expected ${what}` })
    .max(max, { error: `expected ${what}` });
export const positiveInt = () => int(1, Number.MAX_SAFE_INTEGER, 'a positive integer');
export const str = () => z.string({ error: 'expected a string' });
export const nonEmpty = () => str().min(1, { error: 'must not be empty' });
export const bool = () => z.boolean({ error: 'expected true or false' });
export const urlPath = () =>
  str().regex(/^(\/[^/?#\s]+)+$/, {
    error: 'expected a path like "/name": starting with "/", no trailing "/", query, fragment or spaces',
  });

/** A YAML section whose keys are all commented out parses as null; read it as "all defaults". */
export const section = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.preprocess((v) => v ?? {}, z.strictObject(shape, { error: 'expected a mapping' }));

/** Origins as browsers send them: scheme://host[:port], nothing after ("null" for opaque origins). */
export const originList = () =>
  z.array(
    str().regex(/^(null|[a-z][a-z0-9+.-]*:\/\/[^/\s?#]+\/?)$/i, {
      error: 'expected an origin like "https://app.example" or "http://localhost:3000" (no path)',
    }),
    { error: 'expected a list of origins' },
  );

/** `10.0.0.0/8`, `::1/128`, or a bare address (one host). Checked here so a typo fails at start. */
export function cidrProblem(value: string): string | null {
  const slash = value.indexOf('/');
  const address = slash === -1 ? value : value.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return `"${address}" is not an IPv4 or IPv6 address`;
  if (slash === -1) return null;
  const bits = value.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `the prefix length must be 0-${max}`;
  return null;
}

export const cidrList = () =>
  z.array(
    str().superRefine((value, ctx) => {
      const problem = cidrProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `expected a CIDR like "10.0.0.0/8": ${problem}` });
    }),
    { error: 'expected a list of CIDR networks' },
  );

/** `value.a.b` when it is a string, read defensively: checks run on configs that failed elsewhere too. */
export function stringAt(value: unknown, a: string, b: string): string | undefined {
  const inner = (value as Record<string, unknown> | null | undefined)?.[a];
  const leaf = (inner as Record<string, unknown> | null | undefined)?.[b];
  return typeof leaf === 'string' ? leaf : undefined;
}
