// Builds the one Config the server runs with, from up to four layers (later wins):
//   1. the YAML file (--config or SWITCHBOARD_CONFIG), or the demo setup when there is none;
//   2. SWITCHBOARD_* environment variables (`__` separates path segments);
//   3. --set path.to.key=value flags;
//   4. the dedicated flags (--port, --host, --node-id, --kozma).
// Everything is validated once, at the end, so a bad key is reported by its path whichever layer
// wrote it, and every bad key is reported at once.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { type Config, configSchema } from './config-schema.js';
import { demoConfigInput } from './demo-config.js';

export type { Config } from './config-schema.js';

export interface ConfigIssue {
  /** Dotted path of the key, e.g. `namespaces.demo.token_ttl`; empty for the file as a whole. */
  path: string;
  message: string;
  /**
   * What helps fix it: where the value came from (an env var or flag), what was given, the
   * nearest known key ("did you mean listen.port?"). Shown after the message.
   */
  hint?: string;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly issues: ConfigIssue[],
    readonly source: string,
  ) {
    const lines = issues.map(
      (i) => `  ${i.path ? `${i.path}: ` : ''}${i.message}${i.hint ? ` (${i.hint})` : ''}`,
    );
    super(`invalid configuration (${source}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigArgv {
  config?: string;
  port?: number;
  host?: string;
  nodeId?: number;
  kozma?: boolean;
  /** A count or "auto"; anything else is reported by validation. */
  workers?: number | string;
  /** `path.to.key=value`; the value is read as a YAML scalar (or flow collection). */
  set?: string[];
}

export interface LoadedConfig {
  config: Config;
  /** The config file path, or "demo" for the built-in demo setup. */
  source: string;
  demo: boolean;
}

type Path = string[];
type Raw = Record<string, unknown>;
/** A value written by env or --set, with its text kept in case the key wants a string after all. */
interface Override {
  path: Path;
  value: unknown;
  text?: string;
  /** Where it was written: `SWITCHBOARD_LISTEN__PORT`, `--set listen.port=x`, `--port`. */
  origin: string;
}

const ENV_PREFIX = 'SWITCHBOARD_';
// Not config keys: the file selector itself, and knobs of the test suite.
// Variables read by Switchboard's own clients (ctl, the examples), so that one shell can run both
// the server and its tools without the server refusing them as unknown config keys.
const CLIENT_VARS = new Set([
  'SWITCHBOARD_URL',
  'SWITCHBOARD_ADMIN_KEY',
  'SWITCHBOARD_ADMIN_USER',
  'SWITCHBOARD_API_KEY',
  'SWITCHBOARD_SITE',
  'SWITCHBOARD_TRIGGER_TOPIC',
]);
const ENV_IGNORED = (name: string) =>
  name === 'SWITCHBOARD_CONFIG' || name.startsWith('SWITCHBOARD_TEST_') || CLIENT_VARS.has(name);

export function loadConfig(opts: { argv?: ConfigArgv; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const argv = opts.argv ?? {};
  const env = opts.env ?? process.env;
  const file = argv.config ?? (env.SWITCHBOARD_CONFIG || undefined);
  const source = file ?? 'demo';
  const raw: Raw = file === undefined ? demoConfigInput() : readConfigFile(file, env);

  const overrides: Override[] = [...envOverrides(env), ...setOverrides(argv.set ?? [], source)];
  const flag = (path: Path, value: unknown, origin: string) => overrides.push({ path, value, origin });
  if (argv.host !== undefined) flag(['listen', 'host'], argv.host, '--host');
  if (argv.port !== undefined) flag(['listen', 'port'], argv.port, '--port');
  if (argv.nodeId !== undefined) flag(['node_id'], argv.nodeId, '--node-id');
  if (argv.workers !== undefined) flag(['workers'], argv.workers, '--workers');
  if (argv.kozma !== undefined) flag(['chat', 'kozma'], argv.kozma, '--kozma');
  for (const o of overrides) setPath(raw, o.path, o.value);

  let result = configSchema.safeParse(raw);
  // `SWITCHBOARD_ADMIN__KEY=0123` parses as the number 123; when the key wants a string, the
  // text as written is what the user meant, so retry once with it.
  if (!result.success) {
    let retried = false;
    for (const issue of result.error.issues) {
      if (issue.code !== 'invalid_type' || issue.expected !== 'string') continue;
      const o = lastOverrideAt(overrides, issue.path);
      if (o?.text !== undefined) {
        setPath(raw, o.path, o.text);
        retried = true;
      }
    }
    if (retried) result = configSchema.safeParse(raw);
  }
  if (!result.success) {
    throw new ConfigError(
      withHints(toIssues(result.error.issues), result.error.issues, raw, overrides),
      source,
    );
  }
  return { config: result.data, source, demo: file === undefined };
}

/** Reads, substitutes `${VAR}` and parses a config file; any failure is a ConfigError. */
function readConfigFile(file: string, env: NodeJS.ProcessEnv): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '', message: `cannot read the file: ${(err as Error).message}` }], file);
  }
  const problems = new Set<string>();
  text = substituteEnv(text, env, problems);
  if (problems.size > 0) {
    const issues = [...problems].map((message) => ({
      path: '',
      message,
    }));
    throw new ConfigError(issues, file);
  }
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      // The first line of yaml's message ends "at line 2, column 1:" before its code frame.
      doc.errors.map((e) => ({
        path: '',
        message: `YAML: ${e.message.split('\n')[0]!.replace(/:\s*$/, '')}`,
      })),
      file,
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isRecord(value))
    throw new ConfigError([{ path: '', message: 'expected a mapping at the top level' }], file);
  return value;
}

/**
 * Replaces `${NAME}` with the environment's value; `$${` is a literal `${`. Whole-line comments
 * are left alone, so a commented-out example does not demand its variable. The text is inserted
 * as is: quote the placeholder (`"${SECRET}"`) when the value may contain YAML syntax.
 */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv, problems: Set<string>): string {
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*#/.test(line)) return line;
      return line.replace(/\$\$\{|\$\{([^}]*)\}/g, (match, name: string | undefined) => {
        if (name === undefined) return '${';
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          problems.add(`"${match}": not a valid variable name`);
          return match;
        }
        const value = env[name];
        if (value === undefined) problems.add(`environment variable ${name} is not set`);
        return value ?? '';
      });
    })
    .join('\n');
}

function envOverrides(env: NodeJS.ProcessEnv): Override[] {
  const out: Override[] = [];
  // Sorted so that the result does not depend on the environment's enumeration order.
  for (const name of Object.keys(env).sort()) {
    const text = env[name];
    if (!name.startsWith(ENV_PREFIX) || ENV_IGNORED(name) || text === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__');
    out.push({ path, value: parseScalar(text), text, origin: name });
  }
  return out;
}

function setOverrides(flags: string[], source: string): Override[] {
  return flags.map((flag) => {
    const eq = flag.indexOf('=');
    const path = eq > 0 ? parsePath(flag.slice(0, eq)) : null;
    if (!path) {
      throw new ConfigError([{ path: '', message: `--set ${flag}: expected path.to.key=value` }], source);
    }
    const text = flag.slice(eq + 1);
    return { path, value: parseScalar(text), text, origin: `--set ${flag}` };
  });
}

/** `a.b.c`, with `[...]` for a segment that itself contains a dot: `namespaces[my.app].secret`. */
export function parsePath(text: string): Path | null {
  const segments: Path = [];
  const re = /\[([^\]]+)\]|([^.[\]]+)/y;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return null;
    segments.push(m[1] ?? m[2]!);
    i = re.lastIndex;
    if (i < text.length) {
      if (text[i] === '.') i++;
      else if (text[i] !== '[') return null;
      if (i === text.length) return null;
    }
  }
  return segments.length > 0 ? segments : null;
}

/** Inverse of parsePath, for messages. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((s, i) => {
      const text = String(s);
      if (/[.[\]]/.test(text)) return `[${text}]`;
      return i === 0 ? text : `.${text}`;
    })
    .join('');
}

function parseScalar(text: string): unknown {
  if (text === '') return '';
  try {
    return YAML.parse(text);
  } catch {
    return text;
  }
}

// Own properties only, defined rather than assigned: a path segment named `__proto__` (say, from
// an env var) must become an unknown key in the report, not a write to Object.prototype.
function setPath(target: Raw, path: Path, value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    let next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (!isRecord(next)) {
      next = {};
      define(node, key, next);
    }
    node = next as Raw;
  }
  define(node, path[path.length - 1]!, value);
}

function define(node: Raw, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

function lastOverrideAt(overrides: Override[], path: readonly PropertyKey[]): Override | undefined {
  for (let i = overrides.length - 1; i >= 0; i--) {
    const o = overrides[i]!;
    if (o.path.length === path.length && o.path.every((s, j) => s === String(path[j]))) return o;
  }
  return undefined;
}

function isRecord(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
    } else if (issue.code === 'invalid_key') {
      out.push({ path: formatPath(issue.path), message: issue.issues[0]?.message ?? issue.message });
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}

/**
 * Adds to each issue (the same order as zod's, one or more per zod issue) where its value came
 * from, what was given, and for an unknown key the nearest known one.
 */
function withHints(
  out: ConfigIssue[],
  zodIssues: readonly z.core.$ZodIssue[],
  raw: Raw,
  overrides: Override[],
): ConfigIssue[] {
  let i = 0;
  for (const issue of zodIssues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    for (const key of keys) {
      const target = out[i++];
      if (!target) continue;
      const hints: string[] = [];
      const path = key === undefined ? issue.path : [...issue.path, key];
      const origin = overrideUnder(overrides, path);
      if (origin) hints.push(`from ${origin}`);
      if (key !== undefined) {
        const near = nearestKey(key, knownKeys(issue.path));
        if (near !== undefined) hints.push(`did you mean ${formatPath([...issue.path, near])}?`);
      } else if (issue.code === 'invalid_type' || issue.code === 'too_small' || issue.code === 'too_big') {
        const given = valueAt(raw, issue.path);
        // A flag's non-number arrives as NaN: its origin says enough.
        if (given.found && !Number.isNaN(given.value)) hints.push(`given ${describeValue(given.value)}`);
      }
      if (hints.length > 0) target.hint = hints.join('; ');
    }
  }
  return out;
}

/** The override that wrote `path` or a key under it (the last one wins, as it did in the merge). */
function overrideUnder(overrides: Override[], path: readonly PropertyKey[]): string | undefined {
  for (let i = overrides.length - 1; i >= 0; i--) {
    const o = overrides[i]!;
    if (o.path.length >= path.length && path.every((s, j) => String(s) === o.path[j])) return o.origin;
  }
  return undefined;
}

function valueAt(raw: Raw, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let node: unknown = raw;
  for (const key of path) {
    if (!isRecord(node) && !Array.isArray(node)) return { found: false };
    const k = String(key);
    if (!Object.hasOwn(node as object, k)) return { found: false };
    node = (node as Record<string, unknown>)[k];
  }
  return { found: true, value: node };
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `the ${typeof v} ${String(v)}`;
}

type Def = {
  type: string;
  innerType?: ZodLike;
  in?: ZodLike;
  out?: ZodLike;
  shape?: Record<string, ZodLike>;
  valueType?: ZodLike;
  options?: ZodLike[];
};
type ZodLike = { _zod: { def: Def } };

/** The keys the schema knows at `path` (a mapping's keys; under a record, its values' keys). */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let nodes: ZodLike[] = [configSchema as unknown as ZodLike];
  for (const _ of path) {
    nodes = nodes
      .flatMap((n) => objectsOf(n))
      .flatMap((o) => {
        const def = o._zod.def;
        if (def.type === 'record') return def.valueType ? [def.valueType] : [];
        const child = def.shape?.[String(_)];
        return child ? [child] : [];
      });
  }
  return [...new Set(nodes.flatMap((n) => objectsOf(n)).flatMap((o) => Object.keys(o._zod.def.shape ?? {})))];
}

/** The object (or record) schemas behind wrappers: optional, default, pipes, unions. */
function objectsOf(schema: ZodLike, depth = 0): ZodLike[] {
  if (depth > 20) return [];
  const def = schema._zod.def;
  if (def.type === 'object' || def.type === 'record') return [schema];
  if (def.type === 'union') return (def.options ?? []).flatMap((o) => objectsOf(o, depth + 1));
  if (def.type === 'pipe') return [def.in, def.out].flatMap((s) => (s ? objectsOf(s, depth + 1) : []));
  return def.innerType ? objectsOf(def.innerType, depth + 1) : [];
}

/** The known key closest to `key` by edit distance, when it is close enough to be a typo. */
function nearestKey(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = row;
  }
  return prev[b.length]!;
}
