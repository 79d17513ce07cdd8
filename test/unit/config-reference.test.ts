import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { configReferenceSections, renderConfigReference } from '../../src/app/config-reference.js';
import { configSchema } from '../../src/app/config-schema.js';

const REGENERATE =
  'docs/config-reference.md is out of date with src/app/config-schema.ts. Regenerate it: ' +
  'npm run build && node dist/src/cli/main.js gen-config --reference --out docs/config-reference.md --force';

const committed = readFileSync(new URL('../../../docs/config-reference.md', import.meta.url), 'utf8');

/** Dotted paths of the leaves of a parsed config; the keys under a record become its placeholder. */
function leafPaths(value: unknown, path: string[] = [], underRecord = false): string[] {
  const isMapping = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isMapping) return [path.join('.')];
  // An empty record (namespaces: {}) is a documented key; an empty section (admin: {}) is not.
  if (Object.keys(value).length === 0) return underRecord ? [path.join('.')] : [];
  const parent = path.at(-1) ?? '';
  return Object.entries(value).flatMap(([key, v]) => {
    const segment = underRecord ? `<${parent.endsWith('s') ? parent.slice(0, -1) : parent}>` : key;
    // Only `namespaces` and `users` are keyed by names the operator chooses.
    return leafPaths(v, [...path, segment], key === 'namespaces' || key === 'users');
  });
}

function assertListed(paths: string[]): void {
  const missing = paths.filter((p) => !committed.includes(`| \`${p}\` |`));
  assert.deepEqual(missing, [], `keys missing from docs/config-reference.md. ${REGENERATE}`);
}

describe('docs/config-reference.md', () => {
  it('is exactly what the schema renders today', () => {
    assert.ok(committed === renderConfigReference(), REGENERATE);
  });

  it('is what `switchboard gen-config --reference` prints', () => {
    const main = new URL('../../src/cli/main.js', import.meta.url);
    const printed = execFileSync(process.execPath, [main.pathname, 'gen-config', '--reference'], {
      encoding: 'utf8',
    });
    assert.equal(printed, renderConfigReference());
  });

  it('renders the same text twice (deterministic)', () => {
    assert.equal(renderConfigReference(), renderConfigReference());
  });

  it('lists every leaf key of a fully defaulted config', () => {
    const paths = leafPaths(configSchema.parse({}));
    assert.ok(paths.includes('listen.port') && paths.includes('limits.max_frame_bytes'));
    assertListed(paths);
  });

  it('lists every key of a namespace, a rocket vhost, its users and the redis engine', () => {
    const config = configSchema.parse({
      engine: { type: 'redis', lease_node_id: true },
      admin: { key: 'k' },
      namespaces: {
        demo: {
          secret: 's',
          post_secret: 'p',
          rocket: { path: '/demo', users: { front: { secret: '', permissions: ['READ'] } } },
        },
      },
    });
    const paths = leafPaths(config);
    assert.ok(paths.includes('namespaces.<namespace>.rocket.users.<user>.permissions'));
    assert.ok(paths.includes('engine.lease_node_id'));
    assertListed(paths);
  });

  it('shows defaults, allowed values and descriptions', () => {
    const rows = new Map(configReferenceSections().flatMap((s) => s.rows.map((r) => [r.path, r])));
    assert.deepEqual(rows.get('listen.port'), {
      path: 'listen.port',
      type: 'integer',
      default: '`6789`',
      allowed: '0–65535',
      description: 'TCP port; 0 picks a free one (the real one is logged)',
    });
    assert.equal(rows.get('engine.type')?.default, '`memory`');
    assert.equal(rows.get('engine.type')?.allowed, '`memory`, `redis`');
    assert.match(rows.get('engine.url')?.description ?? '', /^Only with `type: redis`\./);
    assert.equal(rows.get('log.level')?.allowed.split(', ').length, 7);
    assert.equal(rows.get('namespaces.<namespace>.rocket.path')?.default, 'required');
    assert.equal(rows.get('admin.key')?.default, 'unset');
    assert.equal(rows.get('listen'), undefined, 'a section with defaults has no row of its own');
    assert.match(rows.get('engine.type')?.description ?? '', /variant/);
    for (const row of rows.values()) assert.ok(row.description.length > 0, row.path);
  });

  it('renders a key without a description as "—" instead of failing', () => {
    const schema = z.strictObject({
      a: z.preprocess(
        (v) => v ?? {},
        z.strictObject({ b: z.int().default(3), c: z.string().optional().describe('C') }),
      ),
    });
    const [section] = configReferenceSections(schema, schema.parse({}));
    assert.deepEqual(
      section?.rows.map((r) => [r.path, r.default, r.description]),
      [
        ['a.b', '`3`', '—'],
        ['a.c', 'unset', 'C'],
      ],
    );
  });
});
