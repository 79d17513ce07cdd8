/**
 * How deeply nested a JSON value may be. `JSON.parse` accepts any depth (a 64 KiB frame carries
 * 30,000 levels), but V8's `JSON.stringify` overflows the stack past about 4,000: a value that
 * deep could be parsed and stored, then never rendered, echoed or forwarded. So every place JSON
 * enters the server (each dialect's decode, `readJson`, the admin API, `Hub.publish`) refuses a
 * value deeper than `limits.max_json_depth` (default MAX_JSON_DEPTH), long before that point.
 *
 * Depth counts containers on the deepest path: a scalar is 0, `[]` and `{}` are 1, `{"a":[1]}`
 * is 2. A whole message counts, its envelope included.
 */

/** The default of `limits.max_json_depth`: far more than any real message needs. */
export const MAX_JSON_DEPTH = 64;

/** The highest `limits.max_json_depth` accepted: a safe margin below where V8 overflows. */
export const MAX_JSON_DEPTH_CEILING = 1_000;

/** The readable refusal every dialect words the same way (its own wire shape around it). */
export const tooDeepMessage = (what: string, max: number) =>
  `${what} is nested too deeply (max ${max} levels)`;

/** Arrays and objects are walked; bytes (a binary publication's Buffer) are a leaf. */
const isContainer = (v: unknown): v is object =>
  typeof v === 'object' && v !== null && !ArrayBuffer.isView(v);

/**
 * Is `value` nested deeper than `max` levels? Iterative (an explicit stack, so no depth can
 * overflow it), and it stops at the first container found past `max` instead of walking the
 * rest. A cycle, which JSON cannot hold, ends it too: the walk goes past `max` along it.
 */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  if (!isContainer(value)) return false;
  if (max < 1) return true;
  const stack: object[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const child = depths.pop()! + 1;
    // Indexed and for-in loops rather than Object.values: no array allocated per object (3x faster
    // on wide bodies). A `__proto__` key from JSON.parse is an own data property and is walked.
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i];
        if (!isContainer(item)) continue;
        if (child > max) return true;
        stack.push(item);
        depths.push(child);
      }
      continue;
    }
    for (const key in node) {
      if (!Object.hasOwn(node, key)) continue;
      const item: unknown = (node as Record<string, unknown>)[key];
      if (!isContainer(item)) continue;
      if (child > max) return true;
      stack.push(item);
      depths.push(child);
    }
  }
  return false;
}
