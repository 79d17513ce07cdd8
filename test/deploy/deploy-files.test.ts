/**
 * The files under deploy/ cannot be run here (no Docker engine, Kubernetes, systemd or nginx on
 * these machines), so what can be checked is: that they name paths, ports, probes, grace periods
 * and scripts that exist and agree with the server, that their config passes the server's own
 * validation, and that every metric the dashboard and the alert rules name is served by /metrics.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/app/config.js';
import { configSchema } from '../../src/app/config-schema.js';
import { startTestServer } from '../helpers/server.js';
import { dockerHealthcheck, dockerInstructions } from './dockerfile.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const DEFAULTS = configSchema.parse({});
const GRACE_MS = DEFAULTS.limits.shutdown_timeout_ms;
const PORT = DEFAULTS.listen.port;
/** Environment the compose file hands the nodes, for validating their config. */
const COMPOSE_SECRETS = { ADMIN_KEY: 'k'.repeat(32), SITE_SECRET: 's', SITE_POST_SECRET: 'p' };

function dockerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of dockerInstructions().filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
  }
  return env;
}

/** "15s" / "1m" → ms. */
function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  assert.ok(m, `not a duration: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2] as 'ms' | 's' | 'm'];
}

describe('deploy/Dockerfile', () => {
  test('builds and installs with the scripts the package test runs, as a non-root user', () => {
    const ins = dockerInstructions();
    const froms = ins.filter((i) => i.op === 'FROM');
    assert.ok(froms.length >= 2 && /\bAS build$/i.test(froms[0]!.args), 'a multi-stage build');
    const runs = ins.filter((i) => i.op === 'RUN').map((i) => i.args);
    assert.ok(
      runs.some((r) => r.startsWith('npm ci')),
      'the build stage runs npm ci (its prepare step builds)',
    );
    assert.ok(runs.some((r) => r.startsWith('sh deploy/pack.sh ')));
    assert.ok(runs.some((r) => /^sh \S*install-package\.sh \S+\.tgz \/opt\/switchboard\b/.test(r)));
    assert.ok(ins.some((i) => i.op === 'COPY' && i.args.startsWith('deploy/install-package.sh ')));
    for (const script of ['pack.sh', 'install-package.sh']) assert.ok(existsSync(join(DEPLOY, script)));

    const users = ins.filter((i) => i.op === 'USER').map((i) => i.args);
    assert.ok(
      users.length > 0 && !['root', '0'].includes(users.at(-1)!),
      'the image runs as a non-root user',
    );
    assert.deepEqual(
      ins.filter((i) => i.op === 'EXPOSE').map((i) => i.args),
      [String(PORT)],
    );
  });

  test('runs switchboard in exec form (SIGTERM reaches node), config from a file, health on /healthz', () => {
    const ins = dockerInstructions();
    const entry = JSON.parse(ins.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    assert.deepEqual(entry, ['switchboard', 'serve']);
    const env = dockerEnv();
    assert.ok(env.PATH?.split(':').includes('/opt/switchboard/node_modules/.bin'), 'the bin is on PATH');
    assert.equal(env.SWITCHBOARD_CONFIG, '/etc/switchboard/switchboard.yaml');
    assert.equal(ins.find((i) => i.op === 'STOPSIGNAL')?.args, 'SIGTERM');
    assert.ok(dockerHealthcheck().join(' ').includes('/healthz'));
  });
});

describe('deploy/docker-compose.yml', () => {
  // Compose files use YAML merge keys (`<<: *node`).
  const compose = parse(read('deploy/docker-compose.yml'), { merge: true });

  test('Redis, two nodes built from deploy/Dockerfile and nginx; every mounted file exists', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['nginx', 'node1', 'node2', 'redis']);
    for (const name of ['node1', 'node2']) {
      const node = compose.services[name];
      assert.ok(existsSync(join(DEPLOY, node.build.context, node.build.dockerfile)), 'the Dockerfile path');
      const mount = node.volumes.find((v: string) => v.includes('switchboard.yaml'));
      const [source, target] = mount.split(':');
      assert.ok(existsSync(join(DEPLOY, source)), `${source} exists`);
      assert.equal(target, dockerEnv().SWITCHBOARD_CONFIG, 'mounted where the image reads its config');
      assert.ok(durationMs(node.stop_grace_period) > GRACE_MS, 'stop grace above the shutdown grace');
      for (const key of Object.keys(COMPOSE_SECRETS)) assert.ok(key in node.environment, key);
    }
    for (const [name, service] of Object.entries<{ volumes?: string[] }>(compose.services)) {
      for (const v of service.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('.')) assert.ok(existsSync(join(DEPLOY, source)), `${name}: ${source}`);
      }
    }
  });

  test('the nodes config passes validation and names the compose Redis', () => {
    const loaded = loadConfig({
      argv: { config: join(DEPLOY, 'compose/switchboard.yaml') },
      env: COMPOSE_SECRETS,
    });
    assert.equal(loaded.config.engine.type, 'redis');
    const engine = loaded.config.engine as { url: string; lease_node_id?: boolean };
    assert.equal(new URL(engine.url).hostname, 'redis');
    assert.ok('redis' in compose.services);
    assert.equal(engine.lease_node_id, true, 'both nodes share one file, so node ids are leased');
    assert.equal(loaded.config.listen.port, PORT);
    assert.equal(loaded.config.listen.host, '0.0.0.0', 'reachable from nginx');
  });

  test("nginx passes WebSocket upgrades to both nodes' port", () => {
    const conf = read('deploy/compose/nginx.conf');
    const servers = [...conf.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    assert.deepEqual(servers, [`node1:${PORT}`, `node2:${PORT}`]);
    assert.match(conf, /proxy_http_version 1\.1;/);
    assert.match(conf, /proxy_set_header Upgrade \$http_upgrade;/);
    assert.match(conf, /proxy_set_header Connection \$connection_upgrade;/);
    assert.match(conf, /map \$http_upgrade \$connection_upgrade/);
  });
});

describe('deploy/switchboard.service', () => {
  const unit = read('deploy/switchboard.service');
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];

  test('runs the installed package, stops within its grace, allows every default connection', () => {
    const exec = value('ExecStart')!.split(' ');
    // install-package.sh puts the bin here (the package test runs it from that layout).
    assert.equal(exec[0], '/opt/switchboard/node_modules/.bin/switchboard');
    assert.deepEqual(exec.slice(1), ['serve', '--config', '/etc/switchboard/switchboard.yaml']);
    assert.equal(value('KillSignal'), 'SIGTERM');
    assert.ok(Number(value('TimeoutStopSec')) * 1000 > GRACE_MS);
    // max_connections is derived from the file limit when unset: 100000 when the limit allows it.
    assert.ok(Number(value('LimitNOFILE')) > (DEFAULTS.limits.max_connections ?? 100_000));
    assert.notEqual(value('User'), 'root');
  });

  test('is the unit docs/operations.md shows', () => {
    assert.ok(read('docs/operations.md').includes(`\`\`\`ini\n${unit}\`\`\``));
  });
});

describe('deploy/kubernetes.yaml', () => {
  const docs = parseAllDocuments(read('deploy/kubernetes.yaml')).map((d) => d.toJSON());
  const deployment = docs.find((d) => d.kind === 'Deployment');

  test('readiness on /readyz, liveness on /healthz, grace above the shutdown grace, non-root', () => {
    const pod = deployment.spec.template.spec;
    const c = pod.containers[0];
    assert.equal(c.ports[0].containerPort, PORT);
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > GRACE_MS);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(c.args, ['--config', dockerEnv().SWITCHBOARD_CONFIG]);
    assert.equal(c.volumeMounts[0].mountPath, dirname(dockerEnv().SWITCHBOARD_CONFIG!));
    const service = docs.find((d) => d.kind === 'Service');
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
  });
});

describe('deploy/ dashboard and alert rules', () => {
  let served: Set<string>;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer({ namespaces: { a: { secret: 's' } } });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    served = new Set();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      const [name, type] = [m[1]!, m[2]!];
      served.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) served.add(name + s);
      if (type === 'summary') for (const s of ['_sum', '_count']) served.add(name + s);
    }
  });
  after(() => server.close());

  /** Metric names in PromQL: our own and the process/runtime ones (`up` is Prometheus's own). */
  function metricsIn(exprs: string[]): Set<string> {
    const names = new Set<string>();
    for (const e of exprs) {
      for (const m of e.matchAll(/\b((?:switchboard|process|nodejs)_[a-z0-9_]+)\b/g)) names.add(m[1]!);
    }
    return names;
  }

  test('every metric the Grafana dashboard names is in /metrics', () => {
    const dash = JSON.parse(read('deploy/grafana-dashboard.json'));
    const exprs = dash.panels.flatMap((p: { targets: Array<{ expr: string }> }) =>
      p.targets.map((t) => t.expr),
    );
    const names = metricsIn(exprs);
    assert.ok(names.size >= 10, `the dashboard names ${names.size} metrics`);
    for (const name of names) assert.ok(served.has(name), `${name} is not served by /metrics`);
  });

  test('every metric the Prometheus alert rules name is in /metrics', () => {
    const rules = parse(read('deploy/prometheus-alerts.yml'));
    const exprs = rules.groups.flatMap((g: { rules: Array<{ expr: string }> }) => g.rules.map((r) => r.expr));
    const names = metricsIn(exprs);
    assert.ok(names.size >= 5, `the rules name ${names.size} metrics`);
    for (const name of names) assert.ok(served.has(name), `${name} is not served by /metrics`);
  });
});
