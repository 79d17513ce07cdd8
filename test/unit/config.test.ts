// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the config syntax under test.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import YAML from 'yaml';
import { ConfigError, type ConfigIssue, formatPath, loadConfig, parsePath } from '../../src/app/config.js';
import { configReferenceSections } from '../../src/app/config-reference.js';
import { configSchema } from '../../src/app/config-schema.js';
import { demoBanner } from '../../src/app/demo-config.js';
import { generateConfigYaml } from '../../src/app/gen-config.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** The issues of a load that must fail. */
function issues(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.issues;
  }
  assert.fail('expected the config to be refused');
}

const BASE = `
listen: { host: 127.0.0.1, port: 7000 }
namespaces:
  demo:
    secret: s
    rocket: { path: /demo, users: { joe: { secret: "", permissions: [READ] } } }
`;

describe('loadConfig', () => {
  test('a minimal file gets every default', () => {
    const { config, source, demo } = loadConfig({
      argv: { config: file('namespaces: { a: {} }\n') },
      env: {},
    });
    assert.equal(demo, false);
    assert.match(source, /\.yaml$/);
    assert.deepEqual(config.listen, { host: '0.0.0.0', port: 6789 });
    assert.deepEqual(config.engine, { type: 'memory' });
    assert.equal(config.node_id, 1);
    assert.equal(config.chat.max_messages_in_room, 1024);
    assert.equal(config.limits.max_frame_bytes, 65536);
    assert.equal(config.log.level, 'info');
    assert.deepEqual(config.namespaces.a, {
      token_ttl: 300,
      post_token_reuse: true,
      history_size: 100,
      max_channels: 10000,
      max_new_channels_per_minute: 300,
      api_keys: [],
      trusted_networks: [],
      client_topic: 'client',
      topic_size: 2000,
      topic_bytes: 8388608,
      max_topics: 100,
    });
  });

  test('an empty file and sections with every key commented out mean all defaults', () => {
    assert.equal(loadConfig({ argv: { config: file('') }, env: {} }).config.listen.port, 6789);
    const { config } = loadConfig({
      argv: { config: file('admin:\n  # key: x\nnamespaces:\n  a:\n') },
      env: {},
    });
    assert.deepEqual(config.admin, { insecure: false });
    assert.equal(config.namespaces.a?.token_ttl, 300);
  });

  test('redis engine defaults', () => {
    const { config } = loadConfig({ argv: { config: file('engine: { type: redis }\n') }, env: {} });
    assert.deepEqual(config.engine, {
      type: 'redis',
      url: 'redis://127.0.0.1:6379',
      prefix: 'sb',
      command_timeout_ms: 1500,
      node_lease_ms: 15000,
      ping_interval_ms: 1000,
      ping_threshold_ms: 1000,
      publish_batch_max: 64,
    });
  });

  test('redis engine on Redis Cluster: a list of nodes; not with sentinels, no braces in the prefix', () => {
    const ok = loadConfig({
      argv: { config: file('engine: { type: redis, cluster: ["10.0.0.1:7000", "10.0.0.2:7000"] }\n') },
      env: {},
    });
    assert.equal(ok.config.engine.type, 'redis');
    assert.deepEqual(ok.config.engine.type === 'redis' && ok.config.engine.cluster, [
      '10.0.0.1:7000',
      '10.0.0.2:7000',
    ]);
    const refused = (yaml: string) =>
      issues(() => loadConfig({ argv: { config: file(yaml) }, env: {} }))
        .map((i) => `${i.path}: ${i.message}`)
        .join('\n');
    assert.match(refused('engine: { type: redis, cluster: [] }\n'), /engine\.cluster: expected at least one/);
    assert.match(
      refused('engine: { type: redis, cluster: ["nohost"] }\n'),
      /engine\.cluster\.0: expected host:port/,
    );
    assert.match(
      refused('engine: { type: redis, cluster: ["a:1"], sentinels: ["b:2"], name: m }\n'),
      /`cluster` and `sentinels` exclude each other/,
    );
    assert.match(
      refused('engine: { type: redis, cluster: ["a:1"], prefix: "sb{x}" }\n'),
      /must not contain `\{`/,
    );
    // Without cluster a brace in the prefix is fine (no hash tags on one Redis).
    assert.equal(
      loadConfig({ argv: { config: file('engine: { type: redis, prefix: "sb{x}" }\n') }, env: {} }).config
        .engine.type,
      'redis',
    );
  });

  test('precedence: file < env < --set < dedicated flags', () => {
    const path = file(BASE);
    const env = {
      SWITCHBOARD_LISTEN__PORT: '7001',
      SWITCHBOARD_LISTEN__HOST: '10.0.0.1',
      SWITCHBOARD_NODE_ID: '3',
      SWITCHBOARD_NAMESPACES__DEMO__SECRET: 'from-env',
      SWITCHBOARD_NAMESPACES__DEMO__TOKEN_TTL: '60',
      SWITCHBOARD_NAMESPACES__DEMO__API_KEYS: '[k1, k2]',
    };
    const fromEnv = loadConfig({ argv: { config: path }, env }).config;
    assert.deepEqual(fromEnv.listen, { host: '10.0.0.1', port: 7001 });
    assert.equal(fromEnv.node_id, 3);
    assert.equal(fromEnv.namespaces.demo?.secret, 'from-env');
    assert.equal(fromEnv.namespaces.demo?.token_ttl, 60);
    assert.deepEqual(fromEnv.namespaces.demo?.api_keys, ['k1', 'k2']);

    const set = ['listen.port=7002', 'namespaces.demo.secret=from-set', 'chat.kozma=true'];
    const fromSet = loadConfig({ argv: { config: path, set }, env }).config;
    assert.equal(fromSet.listen.port, 7002);
    assert.equal(fromSet.namespaces.demo?.secret, 'from-set');
    assert.equal(fromSet.chat.kozma, true);

    const flags = { config: path, set, port: 7003, host: '::1', nodeId: 9, kozma: false };
    const fromFlags = loadConfig({ argv: flags, env }).config;
    assert.deepEqual(fromFlags.listen, { host: '::1', port: 7003 });
    assert.equal(fromFlags.node_id, 9);
    assert.equal(fromFlags.chat.kozma, false);
  });

  test('SWITCHBOARD_CONFIG names the file; --config wins over it; test knobs are ignored', () => {
    const a = file('listen: { port: 1111 }\n');
    const b = file('listen: { port: 2222 }\n');
    const env = { SWITCHBOARD_CONFIG: a, SWITCHBOARD_TEST_FILTER: 'x', SWITCHBOARD_TEST_LOG: 'debug' };
    assert.equal(loadConfig({ env }).config.listen.port, 1111);
    assert.equal(loadConfig({ env }).source, a);
    assert.equal(loadConfig({ argv: { config: b }, env }).config.listen.port, 2222);
  });

  test("the variables of Switchboard's own tools (ctl, examples) are not config keys", () => {
    const env = {
      SWITCHBOARD_URL: 'http://x',
      SWITCHBOARD_ADMIN_KEY: 'k',
      SWITCHBOARD_API_KEY: 'm',
      SWITCHBOARD_SITE: 'demo',
    };
    assert.equal(
      loadConfig({ argv: { config: file('listen: { port: 1111 }\n') }, env }).config.listen.port,
      1111,
    );
    assert.throws(() => loadConfig({ env: { SWITCHBOARD_URLS: 'typo' } }), /urls/);
  });

  test('a numeric-looking override of a string key keeps its text', () => {
    const env = { SWITCHBOARD_ADMIN__KEY: '0123', SWITCHBOARD_NAMESPACES__DEMO__POST_SECRET: 'true' };
    const { config } = loadConfig({ argv: { config: file(BASE), set: ['namespaces.demo.secret=42'] }, env });
    assert.equal(config.admin.key, '0123');
    assert.equal(config.namespaces.demo?.post_secret, 'true');
    assert.equal(config.namespaces.demo?.secret, '42');
  });

  test('${VAR} is read from the environment; $${ is a literal; comment lines are left alone', () => {
    const path = file(
      [
        'listen: { port: ${PORT} }',
        'admin: { key: "${KEY}-x" }',
        '# key: ${NOT_SET_BUT_COMMENTED}',
        'namespaces: { a: { secret: "$${KEY}" } }',
      ].join('\n'),
    );
    const { config } = loadConfig({ argv: { config: path }, env: { PORT: '7100', KEY: 'k' } });
    assert.equal(config.listen.port, 7100);
    assert.equal(config.admin.key, 'k-x');
    assert.equal(config.namespaces.a?.secret, '${KEY}');
  });

  test('an unset ${VAR} is an error naming it', () => {
    const path = file('admin: { key: "${ADMIN_KEY}" }\nlisten: { host: "${HOST_X}" }\n');
    const found = issues(() => loadConfig({ argv: { config: path }, env: { HOST_X: 'h' } }));
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /ADMIN_KEY/);
    assert.throws(() => loadConfig({ argv: { config: path }, env: {} }), /ADMIN_KEY[\s\S]*HOST_X/);
  });

  test('unknown keys are named by their path', () => {
    const path = file('listen: { prot: 1 }\nnamespaces: { demo: { secrte: x } }\nfoo: 1\n');
    const found = issues(() => loadConfig({ argv: { config: path }, env: { SWITCHBOARD_ADMIN__KYE: 'k' } }));
    const paths = found.map((i) => i.path).sort();
    assert.deepEqual(paths, ['admin.kye', 'foo', 'listen.prot', 'namespaces.demo.secrte']);
    assert.ok(found.every((i) => i.message === 'unknown key'));
  });

  test('bad values are named by their path, all at once, in the message too', () => {
    const path = file(`
listen: { port: 70000 }
node_id: 1024
engine: { type: mysql }
log: { level: loud }
namespaces:
  demo: { token_ttl: -1, api_keys: [""], rocket: { path: /x, users: { u: { secret: s, permissions: [READ, ROOT] } } } }
  "bad name!": {}
`);
    let message = '';
    const found = issues(() => {
      try {
        return loadConfig({ argv: { config: path }, env: {} });
      } catch (err) {
        message = (err as Error).message;
        throw err;
      }
    });
    const byPath = new Map(found.map((i) => [i.path, i.message]));
    assert.equal(byPath.get('namespaces.demo.token_ttl'), 'expected a positive integer');
    assert.match(message, /namespaces\.demo\.token_ttl: expected a positive integer/);
    assert.match(byPath.get('listen.port') ?? '', /0-65535/);
    assert.match(byPath.get('node_id') ?? '', /0-1023/);
    assert.match(byPath.get('engine.type') ?? '', /memory.*redis/);
    assert.match(byPath.get('log.level') ?? '', /info/);
    assert.match(byPath.get('namespaces.demo.api_keys.0') ?? '', /empty/);
    assert.match(byPath.get('namespaces.demo.rocket.users.u.permissions.1') ?? '', /READ, WRITE, MANAGE/);
    assert.match(byPath.get('namespaces.bad name!') ?? '', /namespace names/);
  });

  test('a flag that is not a number is reported by key path', () => {
    const found = issues(() => loadConfig({ argv: { config: file(BASE), port: Number.NaN }, env: {} }));
    assert.equal(found[0]?.path, 'listen.port');
  });

  test('listen.advertise_address must be host:port', () => {
    for (const ok of ['10.0.0.5:6789', 'gw.internal:1', '[fd00::5]:65535']) {
      assert.equal(configSchema.safeParse({ listen: { advertise_address: ok } }).success, true, ok);
    }
    for (const bad of ['10.0.0.5', 'gw:0', 'gw:65536', 'http://gw:80', 'fd00::5:80', 'gw:80/x', '']) {
      const r = configSchema.safeParse({ listen: { advertise_address: bad } });
      assert.equal(r.success, false, bad);
      if (!r.success) assert.match(r.error.issues[0]?.message ?? '', /expected host:port/);
    }
  });

  test('reserved rocket paths are refused', () => {
    for (const reserved of [
      '/',
      '/ws',
      '/ws/v1',
      '/token',
      '/post',
      '/stats',
      '/version',
      '/api',
      '/api/x',
      '/v1/a',
      '/admin',
    ]) {
      const found = issues(() =>
        loadConfig({
          argv: { config: file(BASE), set: [`namespaces.demo.rocket.path=${reserved}`] },
          env: {},
        }),
      );
      assert.equal(found[0]?.path, 'namespaces.demo.rocket.path', reserved);
    }
    for (const reserved of ['/metrics', '/healthz', '/readyz', '/assets/app.js', '/gw']) {
      const set = ['mesh.client_path=/gw', `namespaces.demo.rocket.path=${reserved}`];
      const found = issues(() => loadConfig({ argv: { config: file(BASE), set }, env: {} }));
      assert.deepEqual(
        found.map((i) => i.path),
        ['namespaces.demo.rocket.path'],
        reserved,
      );
    }
    // /client is only reserved while it is the mesh client path.
    const set = ['mesh.client_path=/gw', 'namespaces.demo.rocket.path=/client'];
    assert.equal(loadConfig({ argv: { config: file(BASE), set }, env: {} }).config.mesh.client_path, '/gw');
    const found = issues(() =>
      loadConfig({ argv: { config: file(BASE), set: ['mesh.client_path=/api/c'] }, env: {} }),
    );
    assert.equal(found[0]?.path, 'mesh.client_path');
  });

  test('duplicate rocket paths are refused, with other errors in the same report', () => {
    const path = file(`
namespaces:
  a: { rocket: { path: /same } }
  b: { rocket: { path: /same }, token_ttl: 0 }
  c: { rocket: { path: "no-slash" } }
`);
    const found = issues(() => loadConfig({ argv: { config: path }, env: {} }));
    const paths = found.map((i) => i.path).sort();
    assert.deepEqual(paths, [
      'namespaces.b.rocket.path',
      'namespaces.b.token_ttl',
      'namespaces.c.rocket.path',
    ]);
    assert.match(found.find((i) => i.path === 'namespaces.b.rocket.path')!.message, /already.*namespace a/);
  });

  test('YAML syntax errors and unreadable files are ConfigErrors', () => {
    assert.match(
      issues(() => loadConfig({ argv: { config: file('a: [1,\n') }, env: {} }))[0]!.message,
      /YAML/,
    );
    assert.match(
      issues(() => loadConfig({ argv: { config: file('- 1\n') }, env: {} }))[0]!.message,
      /mapping/,
    );
    const missing = join(dir, 'nope.yaml');
    assert.match(issues(() => loadConfig({ argv: { config: missing }, env: {} }))[0]!.message, /cannot read/);
    assert.match(
      issues(() => loadConfig({ argv: { config: file(BASE), set: ['nokey'] }, env: {} }))[0]!.message,
      /--set/,
    );
  });

  test('overrides cannot write to Object.prototype', () => {
    const found = issues(() => loadConfig({ argv: { config: file(BASE), set: ['__proto__.x=1'] }, env: {} }));
    assert.equal(found[0]?.message, 'unknown key');
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});

describe('paths', () => {
  test('parsePath and formatPath handle names with dots', () => {
    assert.deepEqual(parsePath('namespaces[my.app].secret'), ['namespaces', 'my.app', 'secret']);
    assert.deepEqual(parsePath('a.b.c'), ['a', 'b', 'c']);
    assert.equal(parsePath('a..b'), null);
    assert.equal(parsePath('a.'), null);
    assert.equal(formatPath(['namespaces', 'my.app', 'secret']), 'namespaces[my.app].secret');
    const { config } = loadConfig({
      argv: { config: file(BASE), set: ['namespaces[my.app].secret=z'] },
      env: {},
    });
    assert.equal(config.namespaces['my.app']?.secret, 'z');
  });
});

describe('demo and generated configs', () => {
  test('the demo config loads, on loopback, with every dialect set up and fresh secrets', () => {
    const a = loadConfig({ env: {} });
    const b = loadConfig({ env: {} });
    assert.equal(a.demo, true);
    assert.equal(a.source, 'demo');
    assert.deepEqual(a.config.listen, { host: '127.0.0.1', port: 6789 });
    const demo = a.config.namespaces.demo!;
    assert.ok(demo.secret && demo.post_secret && demo.api_keys.length === 1 && a.config.admin.key);
    assert.equal(demo.rocket?.path, '/demo');
    assert.deepEqual(demo.rocket?.users.back?.permissions, ['READ', 'WRITE', 'MANAGE']);
    assert.deepEqual(demo.rocket?.users.front?.permissions, ['READ']);
    assert.equal(a.config.namespaces.default?.api_keys.length, 1);
    assert.equal(a.config.chat.namespace, 'chat');
    assert.notEqual(demo.secret, b.config.namespaces.demo?.secret);
    // Overrides still apply on top of the demo.
    assert.equal(loadConfig({ env: { SWITCHBOARD_LISTEN__PORT: '0' } }).config.listen.port, 0);
  });

  test('the demo banner lists every secret and an example per dialect', () => {
    const { config } = loadConfig({ env: {} });
    const text = demoBanner(config);
    const demo = config.namespaces.demo!;
    const secrets = [config.admin.key!, demo.secret!, demo.post_secret!, demo.api_keys[0]!];
    secrets.push(demo.rocket!.users.front!.secret, demo.rocket!.users.back!.secret);
    secrets.push(config.namespaces.default!.api_keys[0]!);
    for (const s of secrets) assert.ok(text.includes(s), `banner lacks ${s}`);
    for (const url of [
      '/ws?site=demo',
      '/ws?username=',
      '/ws/v1?',
      '/client',
      'ws://127.0.0.1:6789/demo',
      '/post?site=demo',
    ]) {
      assert.ok(text.includes(url), `banner lacks ${url}`);
    }
  });

  test('gen-config output loads, with fresh secrets, and passes the schema', () => {
    const yaml = generateConfigYaml();
    const { config } = loadConfig({ argv: { config: file(yaml) }, env: {} });
    const main = config.namespaces.main!;
    assert.ok(main.secret && main.post_secret && main.api_keys[0] && config.admin.key);
    assert.equal(main.rocket?.path, '/main');
    assert.notEqual(generateConfigYaml(), yaml);
    assert.equal(configSchema.safeParse({}).success, true);
  });

  test('gen-config output names every schema key, set or commented out', () => {
    const yaml = generateConfigYaml();
    const missing: string[] = [];
    for (const section of configReferenceSections()) {
      for (const row of section.rows) {
        // `namespaces.<namespace>.rocket.users.<user>.secret` → `secret`; a bare placeholder is a name.
        const leaf = row.path.split('.').at(-1)!;
        if (leaf.startsWith('<')) continue;
        if (!new RegExp(`^[ \\t#]*${leaf}:`, 'm').test(yaml)) missing.push(row.path);
      }
    }
    assert.deepEqual(missing, [], 'add these keys to src/app/gen-config.ts');
  });

  test("gen-config's commented-out limits are the schema's defaults", () => {
    const yaml = generateConfigYaml();
    const start = yaml.indexOf('# limits:');
    assert.ok(start >= 0);
    const block = yaml.slice(start, yaml.indexOf('\n\n', start));
    const limits = YAML.parse(block.replace(/^# ?/gm, '')).limits;
    assert.deepEqual(limits, configSchema.parse({}).limits);
  });
});
