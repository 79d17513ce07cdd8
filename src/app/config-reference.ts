// docs/config-reference.md is rendered from the config schema itself, so the reference cannot drift
// from what the server accepts: a test compares the committed file with renderConfigReference().
// zod's JSON Schema export (input side) already unwraps the preprocess/default/optional wrappers and
// carries each key's `.describe()` text; defaults that live in a preprocess step (engine.type) are
// read from parsing an empty config instead. The output depends only on the schema: deterministic.
import { z } from 'zod';
import { configSchema } from './config-schema.js';

/** The subset of JSON Schema that zod emits for this config. */
interface Node {
  type?: string;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: readonly unknown[];
  properties?: Record<string, Node>;
  required?: readonly string[];
  additionalProperties?: Node | boolean;
  propertyNames?: Node;
  items?: Node;
  oneOf?: readonly Node[];
  anyOf?: readonly Node[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
}

export interface ReferenceRow {
  /** Dotted key path; record keys appear as placeholders: `namespaces.<namespace>.secret`. */
  path: string;
  type: string;
  /** Markdown: a code span, "required", or "unset". */
  default: string;
  allowed: string;
  description: string;
}

interface Section {
  key: string;
  description: string;
  rows: ReferenceRow[];
}

const NO_DESCRIPTION = '—';

/**
 * Every documented key of the config, in schema order, grouped by top-level key. `schema` and
 * `defaults` (the parse of an empty config) are parameters for tests only.
 */
export function configReferenceSections(
  schema: z.ZodType = configSchema,
  defaults: unknown = configSchema.parse({}),
): Section[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Node;
  const sections: Section[] = [];
  for (const [key, node] of Object.entries(root.properties ?? {})) {
    const rows: ReferenceRow[] = [];
    const walker = new Walker(defaults, rows);
    const object = asObject(node);
    // A section that is always there once parsed (listen: all defaults) lists only its keys; an
    // optional one (tls) also gets a row saying it may be left out.
    const alwaysPresent = valueAt(defaults, [key]) !== undefined;
    if (object && !isRecord(object) && alwaysPresent) walker.children(object, [key], '');
    else walker.visit(node, [key], (root.required ?? []).includes(key), '');
    sections.push({ key, description: node.description ?? '', rows });
  }
  return sections;
}

/** The Markdown of docs/config-reference.md. */
export function renderConfigReference(): string {
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from the config schema (src/app/config-schema.ts, src/dialects/*/config.ts) by `switchboard gen-config --reference`. Do not edit by hand:',
    '     npm run build && node dist/src/cli/main.js gen-config --reference --out docs/config-reference.md --force -->',
    '',
    'Every key the config file accepts, generated from the schema the server validates with. How to',
    'set them (file, `SWITCHBOARD_*` env vars, `--set`) is in [configuration.md](configuration.md).',
    'A `<namespace>` or `<user>` segment stands for a name you choose. "unset" means the key is',
    'optional and has no default; "required" means it must be given when its parent is present.',
    '',
  ];
  for (const section of configReferenceSections()) {
    out.push(`## \`${section.key}\``, '');
    // A key that has its own row (node_id, namespaces) carries the description there.
    const ownRow = section.rows.some((r) => r.path === section.key);
    if (section.description && !ownRow) out.push(section.description, '');
    out.push('| key | type | default | allowed values | description |', '| --- | --- | --- | --- | --- |');
    for (const r of section.rows) {
      const cells = [`\`${r.path}\``, r.type, r.default, r.allowed, r.description];
      out.push(`| ${cells.map(cell).join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

class Walker {
  constructor(
    private readonly rootDefaults: unknown,
    private readonly rows: ReferenceRow[],
  ) {}

  /** Emits a row for `node` at `path`, then rows for what it contains. */
  visit(node: Node, path: string[], required: boolean, note: string): void {
    const object = asObject(node);
    this.rows.push({
      path: path.join('.'),
      type: typeOf(object ?? node),
      default: this.defaultOf(node, path, required),
      allowed: allowedOf(object ?? node),
      description: `${note}${node.description ?? object?.description ?? (note ? '' : NO_DESCRIPTION)}`.trim(),
    });
    if (!object) return;
    if (isRecord(object)) {
      const value = asObject(object.additionalProperties as Node);
      const inner = [...path, placeholder(path.at(-1) ?? '')];
      // The record's value is a mapping of keys: its keys are listed, not the mapping itself.
      if (value && !isRecord(value)) this.children(value, inner, note);
      else this.visit(object.additionalProperties as Node, inner, true, note);
    } else this.children(object, path, note);
  }

  children(object: Node, path: string[], note: string): void {
    const notes = variantNotes(object);
    for (const [key, child] of Object.entries(object.properties ?? {})) {
      const required = (object.required ?? []).includes(key);
      this.visit(child, [...path, key], required, note + (notes.get(key) ?? ''));
    }
  }

  private defaultOf(node: Node, path: string[], required: boolean): string {
    if ('default' in node) return code(node.default);
    const fromParse = valueAt(this.rootDefaults, path);
    if (fromParse !== undefined) return code(fromParse);
    return required ? 'required' : 'unset';
  }
}

/**
 * A discriminated union (engine) becomes one object: every variant's keys, the discriminator with
 * all its values, and a note on the keys that only some variants accept. The result carries the
 * notes in `variantOnly`, read back by variantNotes.
 */
function asObject(node: Node): (Node & { variantOnly?: Map<string, string> }) | undefined {
  const variants = node.oneOf ?? node.anyOf;
  if (!variants) return node.type === 'object' ? node : undefined;
  if (!variants.every((v) => v.type === 'object' && v.properties)) return undefined;
  const discriminator = Object.keys(variants[0]?.properties ?? {}).find((k) =>
    variants.every((v) => v.properties?.[k] && 'const' in (v.properties[k] as Node)),
  );
  const properties: Record<string, Node> = {};
  const owners = new Map<string, unknown[]>();
  for (const v of variants) {
    const tag = discriminator === undefined ? undefined : v.properties?.[discriminator]?.const;
    for (const [k, p] of Object.entries(v.properties ?? {})) {
      if (!(k in properties)) properties[k] = p;
      owners.set(k, [...(owners.get(k) ?? []), tag]);
    }
  }
  const variantOnly = new Map<string, string>();
  if (discriminator !== undefined) {
    const values = variants.map((v) => v.properties?.[discriminator]?.const);
    properties[discriminator] = {
      description: 'Which variant this is; the keys marked "Only with" depend on it',
      ...properties[discriminator],
      const: undefined,
      type: 'string',
      enum: values,
    };
    for (const [k, tags] of owners) {
      if (tags.length < variants.length) {
        variantOnly.set(k, `Only with \`${discriminator}: ${tags.map(String).join(' | ')}\`. `);
      }
    }
  }
  return { type: 'object', description: node.description, properties, variantOnly };
}

function variantNotes(object: Node & { variantOnly?: Map<string, string> }): Map<string, string> {
  return object.variantOnly ?? new Map();
}

function isRecord(node: Node): boolean {
  return !node.properties && typeof node.additionalProperties === 'object';
}

/** `namespaces` → `<namespace>`, `users` → `<user>`. */
function placeholder(parent: string): string {
  return `<${parent.endsWith('s') ? parent.slice(0, -1) : parent || 'key'}>`;
}

function typeOf(node: Node): string {
  if (node.enum) return node.type ?? 'enum';
  if (node.type === 'array') return `list of ${node.items ? plural(typeOf(node.items)) : 'values'}`;
  if (node.type === 'object') {
    if (isRecord(node)) return `mapping of name to ${typeOf(node.additionalProperties as Node)}`;
    return 'mapping';
  }
  return node.type ?? 'any';
}

function plural(type: string): string {
  return type.startsWith('mapping') || type.startsWith('list') ? type : `${type}s`;
}

function allowedOf(node: Node): string {
  if (node.enum) return node.enum.map((v) => code(v)).join(', ');
  if (node.const !== undefined) return code(node.const);
  if (node.type === 'array') return node.items ? allowedOf(node.items) : '';
  if (node.type === 'integer' || node.type === 'number') {
    const hasMax = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER;
    if (node.minimum !== undefined && hasMax) return `${node.minimum}–${node.maximum}`;
    if (node.minimum !== undefined) return `≥ ${node.minimum}`;
    if (hasMax) return `≤ ${node.maximum}`;
    return '';
  }
  if (node.type === 'string') {
    if (node.pattern !== undefined) return `matches \`${node.pattern}\``;
    if (node.minLength !== undefined && node.minLength > 0) return 'non-empty';
    return 'any string';
  }
  if (node.type === 'object' && isRecord(node) && node.propertyNames?.pattern !== undefined) {
    return `names match \`${node.propertyNames.pattern}\``;
  }
  return '';
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function code(value: unknown): string {
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

/** A table cell: one line, no column breaks. */
function cell(text: string): string {
  return (text || NO_DESCRIPTION).replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}
