// The setup used when no config file is given: every dialect reachable on localhost, with fresh
// random secrets printed at start-up so that someone trying Switchboard can copy-paste their way
// through each protocol. Bound to 127.0.0.1 because its secrets are printed to the terminal.
import { randomBytes } from 'node:crypto';
import type { Config } from './config-schema.js';

/**
 * A random secret: 24 bytes as base64url, safe unquoted in YAML, URLs and shells. Never with a
 * leading `-`, which a command line reads as an option (`switchboard ctl --key "$KEY"`).
 */
export function randomSecret(bytes = 24): string {
  for (;;) {
    const secret = randomBytes(bytes).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

/** The demo setup as raw (unvalidated) input, so that env vars and flags can still override it. */
export function demoConfigInput(): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 6789 },
    admin: { key: randomSecret() },
    namespaces: {
      demo: {
        secret: randomSecret(),
        post_secret: randomSecret(),
        api_keys: [randomSecret()],
        rocket: {
          path: '/demo',
          users: {
            front: { secret: randomSecret(), permissions: ['READ'] },
            back: { secret: randomSecret(), permissions: ['READ', 'WRITE', 'MANAGE'] },
          },
        },
      },
      // mesh's default namespace, used when a backend or gateway client gives no ?site=. Loopback is
      // trusted, as CONNMIX's own API was keyless, so its examples (no key) work verbatim.
      default: { api_keys: [randomSecret()], trusted_networks: ['127.0.0.0/8', '::1/128'] },
    },
  };
}

// HMAC-SHA256 in base64, as the site dialect wants it, with nothing but node installed.
const SIGN = `SIGN='require("crypto").createHmac("sha256",process.argv[1]).update(process.argv[2]).digest("base64")'`;

/** Start-up text for the demo: every secret and a copy-paste example for each dialect. */
export function demoBanner(config: Config): string {
  const { host, port } = config.listen;
  // A wildcard bind is reachable on loopback; print an address a browser can open.
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const http = `http://${shown}:${port}`;
  const ws = `ws://${shown}:${port}`;
  const out: string[] = [
    '',
    'Switchboard is running the DEMO setup (no config file was given).',
    'The secrets below are random and change at every start. For a real setup:',
    '  switchboard gen-config --out switchboard.yaml && switchboard serve --config switchboard.yaml',
    '',
  ];
  if (config.admin.key) {
    out.push(`admin     ${http}/admin   (also /stats, /metrics)`, `  key     ${config.admin.key}`);
    out.push(`  try     curl -s -H 'Authorization: Bearer ${config.admin.key}' ${http}/stats`, '');
  }
  out.push(
    `chat      open ${http}/ in a browser, or connect to ${ws}/ws?username=alice`,
    `  send    {"room":"lobby","text":"hello"}   (namespace "${config.chat.namespace}")`,
    '',
  );

  for (const [name, ns] of Object.entries(config.namespaces)) {
    if (ns.secret || ns.post_secret) {
      out.push(`site      namespace "${name}"`);
      if (ns.secret) out.push(`  secret       ${ns.secret}`);
      if (ns.post_secret) out.push(`  post_secret  ${ns.post_secret}`);
      out.push(
        '  # in a shell: a token, then the HMACs',
        `  ${SIGN}`,
        `  TOKEN=$(curl -s '${http}/token?site=${name}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`,
      );
      if (ns.secret) {
        out.push(
          `  node -pe "$SIGN" '${ns.secret}' "news$TOKEN"    # = AUTH for channel "news"`,
          `  connect ${ws}/ws?site=${name}  (any WebSocket client, e.g. npx wscat -c URL) and send`,
          '  {"request":"subscribe","req_id":"1","body":{"channel":"news","after":0,"token":"TOKEN","auth":"AUTH"}}',
        );
      }
      if (ns.post_secret) {
        out.push(
          `  AUTH=$(node -pe "$SIGN" '${ns.post_secret}' "$TOKEN")`,
          `  curl -s '${http}/post?site=${name}' -H 'content-type: application/json' \\`,
          `    -d "{\\"channel\\":\\"news\\",\\"message\\":\\"hello\\",\\"token\\":\\"$TOKEN\\",\\"auth\\":\\"$AUTH\\"}"`,
        );
      }
      out.push('');
    }
    const key = ns.api_keys[0];
    if (key) {
      const site = name === 'default' ? '' : `site=${name}&`;
      out.push(
        `mesh      namespace "${name}", API key ${key}`,
        `  backend ${ws}/ws/v1?${site}key=${key}`,
        `  publish curl -s -H 'Authorization: Bearer ${key}' -H 'content-type: application/json' \\`,
        `            -d '{"c":"news","d":"hello"}' '${http}/v1/mesh/publish${site ? `?site=${name}` : ''}'`,
        `  clients ${ws}${config.mesh.client_path}${site ? `?site=${name}` : ''}   (frames go to topic "${ns.client_topic}")`,
      );
      if (ns.trusted_networks.length > 0) {
        out.push(
          `  no key  from ${ns.trusted_networks.join(', ')}, e.g.`,
          `          curl -X POST ${http}/v1/mesh/publish${site ? `?site=${name}` : ''} -d '{"c":"channel1","d":"Hello,World!"}'`,
        );
      }
      out.push('');
    }
    if (ns.rocket) {
      out.push(`rocket    vhost "${name}" at ${ws}${ns.rocket.path}`);
      for (const [user, u] of Object.entries(ns.rocket.users)) {
        const auth = JSON.stringify({ authenticate: { user, secret: u.secret } });
        out.push(`  ${auth}   ${u.permissions.join(' ')}`);
      }
      out.push('  {"subscribe":{"channel":"news"}}', '');
    }
  }
  return out.join('\n');
}
