// Tenant isolation: every credential of namespace A, presented every way an operation
// accepts one, against every operation of namespace B: all refused, and B's subscribers, channel
// and gateway client see nothing. The same table run against A is the control: each operation
// accepts exactly the credentials meant for it, so a refusal on B is not a broken harness.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { get, http, post } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient, UpgradeRefused } from '../helpers/ws-client.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const ADMIN_KEY = 'operator-key';
const CHANNEL = 'payroll';
const MANAGE = ['READ', 'WRITE', 'MANAGE'];

/** Two tenants configured alike: same user names, same channel, different secrets. */
const tenant = (p: string) => ({
  secret: `${p}-site-secret`,
  post_secret: `${p}-post-secret`,
  token_ttl: 300,
  api_keys: [`${p}-mesh-key`],
  client_topic: 'clients',
  rocket: {
    path: `/${p}`,
    users: {
      boss: { secret: `${p}-boss`, permissions: MANAGE },
      writer: { secret: `${p}-writer`, permissions: ['READ', 'WRITE'] },
    },
  },
});
const CONFIG = {
  admin: { key: ADMIN_KEY },
  namespaces: { a: tenant('a'), b: tenant('b') },
  limits: { max_messages_per_second: 100_000, max_messages_burst: 100_000 },
};

const hmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest('base64');
const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

/** Something A's holder knows: key material, and the token it was bound to, if any. */
interface Credential {
  name: string;
  material: string;
  token?: string;
  user?: string;
}

/** What an operation needs to know about the namespace it acts on. */
interface Target {
  ns: 'a' | 'b';
  gatewayId: string;
}

/** An operation: true when any presentation of the credential was accepted. */
type Operation = (s: Server, target: Target, cred: Credential, tokenA: string) => Promise<boolean>;

const tokenOf = async (s: Server, ns: string): Promise<string> =>
  (await get(`${s.url}/token?site=${ns}`)).body.token;

/** Ways a credential can stand in for an HMAC over `text`: as itself, or as the key. */
const macs = (cred: Credential, text: string) => [cred.material, hmac(cred.material, text)];

async function upgrades(url: string, headers?: Record<string, string>): Promise<RawClient | undefined> {
  try {
    return await RawClient.connect(url, { headers });
  } catch (err) {
    if (err instanceof UpgradeRefused) return undefined;
    throw err;
  }
}

const OPERATIONS: Record<string, Operation> = {
  'site subscribe (B token from /token, or A token)': async (s, t, cred, tokenA) => {
    const c = await RawClient.connect(s.wsUrl(`/ws?site=${t.ns}`));
    let accepted = false;
    for (const token of new Set([await tokenOf(s, t.ns), tokenA, cred.token ?? tokenA])) {
      for (const auth of macs(cred, CHANNEL + token)) {
        c.send({ request: 'subscribe', body: { channel: CHANNEL, token, auth } });
        const r = await c.next();
        if (r.response === 'ok') {
          accepted = true;
          c.send({ request: 'unsubscribe', body: { channel: CHANNEL } });
          await c.next();
        }
      }
    }
    await c.close();
    return accepted;
  },
  'site POST /post': async (s, t, cred, tokenA) => {
    let accepted = false;
    for (const token of new Set([await tokenOf(s, t.ns), tokenA, cred.token ?? tokenA])) {
      for (const auth of macs(cred, token)) {
        const body = { channel: CHANNEL, message: `forged by ${cred.name}`, token, auth };
        if ((await post(`${s.url}/post?site=${t.ns}`, body)).status === 200) accepted = true;
      }
    }
    return accepted;
  },
  'mesh HTTP /v1/mesh/send and /v1/mesh/publish': async (s, t, cred) => {
    let accepted = false;
    const key = encodeURIComponent(cred.material);
    for (const [path, body] of [
      ['/v1/mesh/send', { c: t.gatewayId, d: 'forged' }],
      ['/v1/mesh/publish', { c: CHANNEL, d: 'forged' }],
    ] as const) {
      for (const [query, headers] of [
        [`?site=${t.ns}`, { authorization: `Bearer ${cred.material}` }],
        [`?site=${t.ns}&key=${key}`, {}],
      ] as const) {
        const r = await http('POST', `${s.url}${path}${query}`, body, headers);
        if (r.status === 200 && r.body.E === null) accepted = true;
      }
    }
    return accepted;
  },
  'mesh backend upgrade /ws/v1': async (s, t, cred) => {
    let accepted = false;
    for (const [query, headers] of [
      [`?site=${t.ns}&key=${encodeURIComponent(cred.material)}`, undefined],
      [`?site=${t.ns}`, { authorization: `Bearer ${cred.material}` }],
    ] as const) {
      const c = await upgrades(s.wsUrl(`/ws/v1${query}`), headers);
      if (c) {
        accepted = true;
        await c.close();
      }
    }
    return accepted;
  },
  "conn.call / mesh.send on the namespace's gateway connection, from A's own backend": async (s, t, cred) => {
    // The credential opens a backend in A (only the API key can); from there it aims at t's client.
    let accepted = false;
    const backend = await upgrades(s.wsUrl(`/ws/v1?site=a&key=${encodeURIComponent(cred.material)}`));
    if (backend) {
      const requests = [
        { m: 'conn.call', p: { c: t.gatewayId, f: 'subscribe', a: [CHANNEL] } },
        { m: 'conn.call', p: { c: t.gatewayId, f: 'set_context_value', a: ['owner', 'mallory'] } },
        { m: 'mesh.send', p: { c: t.gatewayId, d: 'forged' } },
      ];
      for (const [i, r] of requests.entries()) {
        backend.send({ ...r, i });
        if ((await backend.next()).E === null) accepted = true;
      }
      await backend.close();
    }
    const r = await post(
      `${s.url}/v1/mesh/send?site=a`,
      { c: t.gatewayId, d: 'forged' },
      {
        authorization: `Bearer ${cred.material}`,
      },
    );
    return accepted || (r.status === 200 && r.body.E === null);
  },
  "rocket authenticate on the namespace's vhost path": async (s, t, cred) => {
    const c = await RawClient.connect(s.wsUrl(`/${t.ns}`));
    let accepted = false;
    for (const user of new Set([cred.user ?? 'boss', 'boss', 'writer'])) {
      c.send({ authenticate: { user, secret: cred.material } });
      if ('authenticated' in (await c.next())) accepted = true;
    }
    await c.close();
    return accepted;
  },
  'admin API on the namespace (channels, history, publish, connections, send, subscribe, kick)': async (
    s,
    t,
    cred,
  ) => {
    const user = cred.user ?? 'boss';
    const calls: [string, string, unknown?][] = [
      ['GET', `/admin/api/namespaces/${t.ns}/channels`],
      ['GET', `/admin/api/namespaces/${t.ns}/channels/${CHANNEL}/history`],
      ['POST', `/admin/api/namespaces/${t.ns}/channels/${CHANNEL}/publish`, { data: 'forged' }],
      ['GET', `/admin/api/namespaces/${t.ns}/topics`],
      ['GET', `/admin/api/connections?namespace=${t.ns}`],
      ['GET', `/admin/api/connections/${t.gatewayId}`],
      ['POST', `/admin/api/connections/${t.gatewayId}/send`, { data: 'forged' }],
      ['POST', `/admin/api/connections/${t.gatewayId}/subscribe`, { channels: [CHANNEL] }],
      ['POST', `/admin/api/connections/${t.gatewayId}/unsubscribe`, { channels: [CHANNEL] }],
    ];
    let accepted = false;
    for (const authorization of [
      basic(`a/${user}:${cred.material}`),
      basic(`${t.ns}/${user}:${cred.material}`),
      `Bearer ${cred.material}`,
    ]) {
      for (const [method, path, body] of calls) {
        const r = await http(method, `${s.url}${path}`, body, { authorization });
        if (r.status !== 401 && r.status !== 403) accepted = true;
      }
    }
    // Kicking is tried last and only where nothing else got in, so the control keeps its client.
    if (!accepted) {
      const r = await http(
        'POST',
        `${s.url}/admin/api/connections/${t.gatewayId}/disconnect`,
        {},
        {
          authorization: basic(`a/${user}:${cred.material}`),
        },
      );
      if (r.status !== 401 && r.status !== 403) accepted = true;
    }
    return accepted;
  },
};

/** Which of A's credentials each operation must accept on A (the control). */
const ACCEPTED_ON_A: Record<string, string[]> = {
  'site subscribe (B token from /token, or A token)': ['site secret', 'subscribe auth (A token + HMAC)'],
  'site POST /post': ['post_secret', 'post auth (A token + HMAC)'],
  'mesh HTTP /v1/mesh/send and /v1/mesh/publish': ['mesh API key'],
  'mesh backend upgrade /ws/v1': ['mesh API key'],
  "conn.call / mesh.send on the namespace's gateway connection, from A's own backend": ['mesh API key'],
  "rocket authenticate on the namespace's vhost path": ['rocket user (READ, WRITE)', 'MANAGE user'],
  'admin API on the namespace (channels, history, publish, connections, send, subscribe, kick)': [
    'MANAGE user',
  ],
};

describe('tenant isolation', () => {
  let server: Server;
  before(async () => {
    server = await startTestServer(CONFIG);
  });
  after(() => server.close());

  it('refuses every credential of namespace A on every operation of namespace B', async () => {
    const s = server;
    const tokenA = await tokenOf(s, 'a');
    const credentials: Credential[] = [
      { name: 'site secret', material: 'a-site-secret' },
      {
        name: 'subscribe auth (A token + HMAC)',
        material: hmac('a-site-secret', CHANNEL + tokenA),
        token: tokenA,
      },
      { name: 'post_secret', material: 'a-post-secret' },
      { name: 'post auth (A token + HMAC)', material: hmac('a-post-secret', tokenA), token: tokenA },
      { name: 'mesh API key', material: 'a-mesh-key' },
      { name: 'rocket user (READ, WRITE)', material: 'a-writer', user: 'writer' },
      { name: 'MANAGE user', material: 'a-boss', user: 'boss' },
    ];

    // B's legitimate users, watching for anything that gets through.
    const gatewayOf = async (ns: string) => {
      const c = await RawClient.connect(s.wsUrl(`/client?site=${ns}`));
      const id = [...s.hub.localConnections()].find((x) => x.namespace === ns && x.dialect === 'gateway')?.id;
      assert.ok(id);
      return { c, id };
    };
    const gatewayB = await gatewayOf('b');
    const gatewayA = await gatewayOf('a');
    const siteB = await RawClient.connect(s.wsUrl('/ws?site=b'));
    const tokenB = await tokenOf(s, 'b');
    siteB.send({
      request: 'subscribe',
      body: { channel: CHANNEL, token: tokenB, auth: hmac('b-site-secret', CHANNEL + tokenB) },
    });
    assert.equal((await siteB.next()).response, 'ok');
    const rocketB = await RawClient.connect(s.wsUrl('/b'));
    rocketB.send({ authenticate: { user: 'writer', secret: 'b-writer' } });
    rocketB.send({ subscribe: { channel: CHANNEL } });
    assert.deepEqual(
      [await rocketB.next(), await rocketB.next()],
      [{ authenticated: 'writer' }, { subscribed: CHANNEL }],
    );

    const getsIn: string[] = [];
    const control: string[] = [];
    for (const [op, run] of Object.entries(OPERATIONS)) {
      for (const cred of credentials) {
        if (await run(s, { ns: 'b', gatewayId: gatewayB.id }, cred, tokenA))
          getsIn.push(`${cred.name} → ${op}`);
      }
      for (const cred of credentials) {
        const accepted = await run(s, { ns: 'a', gatewayId: gatewayA.id }, cred, tokenA);
        if (accepted !== ACCEPTED_ON_A[op]!.includes(cred.name))
          control.push(`${cred.name} → ${op} on A: ${accepted}`);
      }
    }
    assert.deepEqual(getsIn, [], 'credentials of A accepted by B');
    assert.deepEqual(
      control,
      [],
      'the control on A does not match the credentials each operation should take',
    );

    // Nothing reached B: no publication, no frame, no kick; and B still works for B.
    assert.equal((await s.hub.history('b', CHANNEL, { last: 10 })).publications.length, 0);
    assert.ok(await siteB.silentFor(100));
    assert.ok(await rocketB.silentFor(0));
    assert.ok(await gatewayB.c.silentFor(0));
    assert.equal(gatewayB.c.ws.readyState, gatewayB.c.ws.OPEN);
    assert.equal([...(s.hub.connection(gatewayB.id)?.subscriptions ?? [])].length, 0);
    assert.deepEqual(s.hub.connection(gatewayB.id)?.context ?? {}, {});
    const t = await tokenOf(s, 'b');
    const ok = await post(`${s.url}/post?site=b`, {
      channel: CHANNEL,
      message: 'real',
      token: t,
      auth: hmac('b-post-secret', t),
    });
    assert.equal(ok.status, 200);
    assert.equal((await siteB.next()).body, 'real');
    await Promise.all([gatewayA.c.close(), gatewayB.c.close(), siteB.close(), rocketB.close()]);
  });
});
