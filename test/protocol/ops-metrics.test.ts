import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { countError } from '../../src/ops/index.js';
import { get, post } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const KEY = 'admin-key';
const ADMIN = { authorization: `Bearer ${KEY}` };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse the Prometheus text format (enough of it for these metrics: no escaped quotes). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample of `name` whose labels include `labels`; 0 when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.ok(found.length <= 1, `several samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

describe('GET /metrics', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const scrape = async () => {
    const r = await get(`${server.url}/metrics`, ADMIN);
    assert.equal(r.status, 200);
    return parse(r.text);
  };

  before(async () => {
    server = await startTestServer({
      node_id: 7,
      admin: { key: KEY },
      namespaces: { demo: { secret: 'site-secret', post_secret: 'post-secret' }, tiny: { topic_size: 1 } },
    });
  });
  after(() => server.close());

  test('is refused without the admin key or with a wrong one', async () => {
    const none = await get(`${server.url}/metrics`);
    assert.equal(none.status, 401);
    assert.match(none.body.error.message, /admin key/);
    const wrong = await get(`${server.url}/metrics`, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
  });

  test('is Prometheus text with process and event-loop metrics, every sample labelled with the node', async () => {
    const r = await get(`${server.url}/metrics`, ADMIN);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    const samples = parse(r.text);
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'process_resident_memory_bytes',
      'switchboard_uptime_seconds',
      'switchboard_ready',
      'switchboard_publications_accepted_total',
      'switchboard_publications_fanned_out_total',
    ]) {
      assert.ok(
        samples.some((s) => s.name === name),
        `missing ${name}`,
      );
    }
    assert.ok(samples.every((s) => s.labels.node === '7'));
    assert.equal(value(samples, 'switchboard_ready'), 1);
  });

  test('connection, subscription and publication figures move with traffic', async () => {
    const before = await scrape();
    assert.equal(value(before, 'switchboard_connections', { dialect: 'site', namespace: 'demo' }), 0);

    const client = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    try {
      const [conn] = [...server.hub.localConnections()].filter((c) => c.namespace === 'demo');
      assert.ok(conn);
      const sub = await post(
        `${server.url}/admin/api/connections/${conn.id}/subscribe`,
        { channels: ['news'] },
        ADMIN,
      );
      assert.equal(sub.status, 200);

      const during = await scrape();
      assert.equal(value(during, 'switchboard_connections', { dialect: 'site', namespace: 'demo' }), 1);
      assert.equal(value(during, 'switchboard_subscriptions', { namespace: 'demo' }), 1);

      const published = await post(
        `${server.url}/admin/api/namespaces/demo/channels/news/publish`,
        { data: 'hi' },
        ADMIN,
      );
      assert.equal(published.status, 200);
      await server.hub.publish('demo', 'news', { data: 'again' });
      assert.deepEqual((await client.next()).body, 'hi');
      assert.deepEqual((await client.next()).body, 'again');

      const afterTraffic = await scrape();
      const moved = (name: string) => value(afterTraffic, name) - value(before, name);
      assert.equal(moved('switchboard_publications_accepted_total'), 2);
      assert.equal(moved('switchboard_publications_fanned_out_total'), 2);
      assert.equal(
        value(afterTraffic, 'switchboard_deliveries_total') - value(before, 'switchboard_deliveries_total'),
        2,
      );
      // The deliveries left in one or two socket write-outs (two when a turn each, one when held
      // together for the coalescing window), each counted under its hold.
      const flushes = (samples: Sample[]) =>
        value(samples, 'switchboard_socket_flushes_total', { hold: 'turn' }) +
        value(samples, 'switchboard_socket_flushes_total', { hold: 'window' });
      assert.ok(flushes(afterTraffic) - flushes(before) >= 1);
    } finally {
      await client.close();
    }
    // The connection is forgotten once its socket closed.
    for (let i = 0; i < 50 && [...server.hub.localConnections()].length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const afterClose = await scrape();
    assert.equal(value(afterClose, 'switchboard_connections', { dialect: 'site', namespace: 'demo' }), 0);
  });

  test('a publication nobody listens to is counted as accepted, with no delivery', async () => {
    const before = await scrape();
    await server.hub.publish('demo', 'unheard', { data: 1 });
    const after = await scrape();
    const moved = (name: string) => value(after, name) - value(before, name);
    assert.equal(moved('switchboard_publications_accepted_total'), 1);
    assert.equal(moved('switchboard_deliveries_total'), 0);
    assert.equal(moved('switchboard_failed_deliveries_total'), 0);
  });

  test('queue depth and drops are reported per namespace and topic', async () => {
    const item = { node: 7, client: '0', topic: 'jobs', data: { job: 1 } };
    await server.hub.queuePush('demo', 'jobs', item);
    await server.hub.queuePush('demo', 'jobs', item);
    const samples = await scrape();
    assert.equal(value(samples, 'switchboard_queue_depth', { namespace: 'demo', topic: 'jobs' }), 2);
    assert.equal(value(samples, 'switchboard_queue_consumers', { namespace: 'demo', topic: 'jobs' }), 0);
    assert.equal(value(samples, 'switchboard_queue_dropped_total', { namespace: 'demo', topic: 'jobs' }), 0);

    // A full topic drops its oldest item, and the drop is counted.
    await server.hub.queuePush('tiny', 'jobs', item);
    await server.hub.queuePush('tiny', 'jobs', item);
    const full = await scrape();
    assert.equal(value(full, 'switchboard_queue_depth', { namespace: 'tiny', topic: 'jobs' }), 1);
    assert.equal(value(full, 'switchboard_queue_dropped_total', { namespace: 'tiny', topic: 'jobs' }), 1);
  });

  test('errors counted by a dialect through countError appear by dialect and code', async () => {
    countError(server.hub, 'site', 'bad_auth');
    countError(server.hub, 'site', 'bad_auth');
    const samples = await scrape();
    assert.equal(value(samples, 'switchboard_errors_total', { dialect: 'site', code: 'bad_auth' }), 2);
    assert.ok(samples.some((s) => s.name === 'switchboard_slow_consumer_closes_total'));
    assert.ok(samples.some((s) => s.name === 'switchboard_connections_refused_total'));
  });

  test('two servers in one process keep separate registries', async () => {
    const other = await startTestServer({ node_id: 8, namespaces: { demo: {} } });
    try {
      // No admin key on this one: /metrics is open, and it shows only its own node.
      const r = await get(`${other.url}/metrics`);
      assert.equal(r.status, 200);
      const samples = parse(r.text);
      assert.ok(samples.every((s) => s.labels.node === '8'));
      assert.equal(value(samples, 'switchboard_publications_accepted_total'), 0);
    } finally {
      await other.close();
    }
  });
});
