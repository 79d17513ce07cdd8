// Generators of hostile input shared by every dialect's fuzz properties: arbitrary JSON, values of
// the wrong type, deep nesting, numbers JSON cannot hold exactly, long strings, lone surrogates,
// invalid UTF-8 byte sequences and binary frames. Sizes stay around the default 64 KiB frame limit
// (limits.max_frame_bytes), the most a real connection can deliver to a codec; a few deeply nested
// objects exceed it, which the server-level fuzz expects to be closed with 1009.
import fc from 'fast-check';

/** One inbound WebSocket frame, as the listener hands it to a dialect. */
export type Frame = { binary: false; text: string } | { binary: true; bytes: Buffer };

export const MAX_FRAME_BYTES = 64 * 1024;

/** Any JSON value, Unicode strings included (lone surrogates are produced by `nastyString`). */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });

/** Strings that break naive code: empty, blank, control characters, lone surrogates, huge. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', '\t\n', '\u0000', '\ud800', '\udfff', 'a\ud83d', '\u2028\u2029', '\ufeff', '💥'),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc
    .array(fc.integer({ min: 0xd800, max: 0xdfff }), { minLength: 1, maxLength: 4 })
    .map((units) => String.fromCharCode(...units)),
  fc.integer({ min: 256, max: 20_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 6_000 }).map((n) => '😀'.repeat(n)),
);

/** Numbers (and number texts) a JSON parser turns into Infinity, -0, rounded or unsafe values. */
export const hugeNumberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '1e-400', '-0', '0.0', '9007199254740993', '-9007199254740993', '1.5'),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.integer({ min: 300, max: 400 }).map((e) => `1e${e}`),
);

/** A value of any JSON type: feed it where a string, number, object or array is expected. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, '', [], {}, [1], { a: 1 }, Number.MAX_SAFE_INTEGER + 2),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  nastyString,
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }),
);

/** `[[[...]]]`, `{"a":{"a":...}}` or a mix, up to the depth a 64 KiB frame can carry. */
export const deepNestingText: fc.Arbitrary<string> = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1_000, max: 30_000 })),
    kind: fc.constantFrom('array', 'object', 'mixed'),
    closed: fc.boolean(),
  })
  .map(({ depth, kind, closed }) => {
    const open = (i: number) => (kind === 'array' || (kind === 'mixed' && i % 2 === 0) ? '[' : '{"a":');
    const close = (i: number) => (kind === 'array' || (kind === 'mixed' && i % 2 === 0) ? ']' : '}');
    let head = '';
    let tail = '';
    for (let i = 0; i < depth; i++) {
      head += open(i);
      tail = close(i) + tail;
    }
    return closed ? `${head}1${tail}` : head;
  });

/** Texts that are not JSON, or are JSON a parser handles oddly. */
export const garbageText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '',
    ' ',
    'null',
    'true',
    '"x"',
    '[]',
    '{}',
    '{',
    '}',
    '{"a":}',
    '{"a":1,}',
    'NaN',
    '\ufeff{}',
  ),
  fc.constantFrom('{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '{"a":1,"a":2}'),
  hugeNumberText,
  nastyString,
  anyJson.map((v) => JSON.stringify(v).slice(0, -1)), // truncated JSON
);

/** Byte sequences that are not UTF-8: stray continuations, overlongs, surrogates, truncations. */
export const invalidUtf8: fc.Arbitrary<Buffer> = fc
  .record({
    before: fc.uint8Array({ maxLength: 32 }),
    bad: fc.constantFrom(
      [0x80],
      [0xbf],
      [0xc0, 0x80],
      [0xc1, 0xbf],
      [0xe0, 0x80, 0x80],
      [0xed, 0xa0, 0x80],
      [0xed, 0xbf, 0xbf],
      [0xf4, 0x90, 0x80, 0x80],
      [0xf5, 0x80, 0x80, 0x80],
      [0xff],
      [0xfe],
      [0xe2, 0x82],
      [0xf0, 0x9f, 0x98],
    ),
    after: fc.uint8Array({ maxLength: 32 }),
    json: fc.boolean(),
  })
  .map(({ before, bad, after, json }) => {
    const core = Buffer.concat([Buffer.from(before), Buffer.from(bad), Buffer.from(after)]);
    // Half of them hide the bad bytes inside an otherwise plausible JSON string value.
    return json ? Buffer.concat([Buffer.from('{"text":"'), Buffer.from(bad), Buffer.from('"}')]) : core;
  });

/** Arbitrary bytes, as a binary frame would carry them. */
export const binaryBytes: fc.Arbitrary<Buffer> = fc
  .uint8Array({ maxLength: 512 })
  .map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));

/**
 * A valid message template with one part damaged: a field removed, replaced by a wrong type, a
 * nasty string, a deep value or a huge number, or an extra key added. `templates` are the dialect's
 * well-formed messages; paths name the fields that may be damaged.
 */
export function mutated(
  templates: fc.Arbitrary<Record<string, unknown>>,
  options: { only?: 'deep'; maxDepth?: number; minDepth?: number } = {},
): fc.Arbitrary<string> {
  return fc
    .record({
      template: templates,
      pick: fc.nat(),
      how: options.only
        ? fc.constant(options.only)
        : fc.constantFrom('delete', 'wrong', 'nasty', 'deep', 'huge', 'extra'),
      wrong: wrongType,
      nasty: nastyString,
      deep: fc.integer({ min: options.minDepth ?? 1, max: options.maxDepth ?? SHALLOW_DEPTH }),
      huge: hugeNumberText,
    })
    .map(({ template, pick, how, wrong, nasty, deep, huge }) => {
      const paths = leafPaths(template);
      const path = paths[pick % paths.length] ?? [];
      const copy = structuredClone(template);
      const replacement =
        how === 'wrong'
          ? wrong
          : how === 'nasty'
            ? nasty
            : how === 'deep'
              ? DEEP_MARK
              : how === 'huge'
                ? HUGE_MARK
                : undefined;
      if (how === 'extra') setPath(copy, [...path.slice(0, -1), 'zz_extra'], wrong);
      else setPath(copy, path, replacement);
      // Deep values are spliced in as text: JSON.stringify itself overflows the stack on them.
      return JSON.stringify(copy).replace(`"${HUGE_MARK}"`, huge).replace(`"${DEEP_MARK}"`, nested(deep));
    });
}

const HUGE_MARK = '@@fuzz-huge-mark@@';
const DEEP_MARK = '@@fuzz-deep-mark@@';

/** `[[[...1]]]` as text, `depth` levels (2 bytes a level: 30,000 levels fit a 64 KiB frame). */
function nested(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

/**
 * How deep `mutated` nests a value by default. Deeper values (up to the 30,000 levels a 64 KiB
 * frame can carry) are the business of each dialect's separate deep-nesting property: V8's
 * JSON.stringify overflows the stack somewhere past 4,000 levels.
 */
export const SHALLOW_DEPTH = 1_000;
export const DEEP_DEPTHS = { minDepth: 4_000, maxDepth: 30_000 } as const;

/** A valid message with one field replaced by a value nested 4,000 to 30,000 levels deep. */
export const deeplyMutated = (templates: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> =>
  mutated(templates, { only: 'deep', ...DEEP_DEPTHS });

/**
 * A JSON text nested 4,000 to 30,000 levels deep, as another dialect may publish it. Kept as text:
 * fast-check's printing of a counterexample would itself overflow on the parsed value.
 */
export const deepDataText: fc.Arbitrary<string> = fc
  .integer({ min: DEEP_DEPTHS.minDepth, max: DEEP_DEPTHS.maxDepth })
  .map((d) => nested(d));

function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  const out: string[][] = prefix.length > 0 ? [prefix] : [];
  for (const [k, v] of Object.entries(value)) out.push(...leafPaths(v, [...prefix, k]));
  return out;
}

function setPath(root: Record<string, unknown>, path: string[], value: unknown): void {
  if (path.length === 0) return;
  let node: Record<string, unknown> = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) return;
    node = next as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/**
 * Any hostile frame for a dialect: garbage, arbitrary JSON, deep nesting, a damaged valid message,
 * invalid UTF-8 or random bytes in a binary frame, or a text frame with a lone surrogate.
 */
export function hostileFrame(templates: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Frame> {
  const text = (t: fc.Arbitrary<string>) => t.map((s): Frame => ({ binary: false, text: s }));
  const binary = (b: fc.Arbitrary<Buffer>) => b.map((bytes): Frame => ({ binary: true, bytes }));
  return fc.oneof(
    { weight: 3, arbitrary: text(mutated(templates)) },
    { weight: 2, arbitrary: text(garbageText) },
    { weight: 2, arbitrary: text(anyJson.map((v) => JSON.stringify(v))) },
    { weight: 1, arbitrary: text(deepNestingText) },
    { weight: 1, arbitrary: binary(invalidUtf8) },
    { weight: 1, arbitrary: binary(binaryBytes) },
    { weight: 1, arbitrary: binary(mutated(templates).map((s) => Buffer.from(s))) },
  );
}

/** The UTF-8 text a frame's bytes read as with replacement characters (site, rocket and mesh sessions). */
export const lenientText = (f: Frame): string => (f.binary ? f.bytes.toString('utf8') : f.text);

/** Bytes of a UTF-8 string: WebSocket close reasons are limited to 123 of them. */
export const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
