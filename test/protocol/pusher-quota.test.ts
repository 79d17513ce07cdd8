// An app's connection quota (`pusher.max_connections`): past it a new connection gets Pusher's
// 4004, which pusher-js treats as "refused" (no reconnect); a closed connection frees its place,
// and another app's connections are not counted against it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pusherJs from 'pusher-js';
import { limitHits } from '../helpers/metrics.js';
import { RawClient } from '../helpers/ws-client.js';
import {
  APP,
  closeAll,
  connect,
  expectError,
  PUSHER_NAMESPACES,
  QUIET,
  usePusherServer,
} from './pusher-fixtures.js';

const server = usePusherServer({
  namespaces: { ...PUSHER_NAMESPACES, quiet: { pusher: { ...QUIET, max_connections: 2 } } },
});

describe('pusher: connection quota per app', () => {
  it('refuses the connection past max_connections with 4004, counts it, and frees a closed place', async () => {
    const before = await limitHits(server.url, 'pusher.max_connections');
    const a = await connect(server, QUIET.key);
    const b = await connect(server, QUIET.key);
    const other = await connect(server, APP.key); // another app: its own quota
    const over = await RawClient.connect(server.wsUrl(`/app/${QUIET.key}?protocol=7`));
    await expectError(over, 4004, /quota/);
    assert.equal((await over.closed).code, 4004);
    assert.equal(await limitHits(server.url, 'pusher.max_connections'), before + 1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /switchboard_errors_total\{[^}]*dialect="pusher",code="4004"[^}]*\} [1-9]/);

    await closeAll(a);
    // The place is freed when the server has seen the close: retry until it has.
    let again: Awaited<ReturnType<typeof connect>> | undefined;
    for (let i = 0; i < 50 && again === undefined; i++) {
      again = await connect(server, QUIET.key).catch(() => undefined);
      if (again === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(again, 'a closed connection frees its place');
    await closeAll(b, other, again);
  });

  it('pusher-js (Node) reports 4004 as an error and does not reconnect', async () => {
    const a = await connect(server, QUIET.key);
    const b = await connect(server, QUIET.key);
    const before = await limitHits(server.url, 'pusher.max_connections');
    const Client = pusherJs as unknown as typeof import('pusher-js').default;
    const p = new Client(QUIET.key, {
      cluster: '',
      wsHost: '127.0.0.1',
      wsPort: Number(new URL(server.url).port),
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
    });
    try {
      const error = await new Promise<any>((resolve) => p.connection.bind('error', resolve));
      assert.equal(error.data?.code ?? error.error?.data?.code, 4004, JSON.stringify(error));
      // pusher-js's close action for 4000-4099 is "refused": it gives up instead of retrying.
      await new Promise((r) => setTimeout(r, 1500));
      assert.notEqual(p.connection.state, 'connected');
      assert.notEqual(p.connection.state, 'connecting');
      assert.equal(await limitHits(server.url, 'pusher.max_connections'), before + 1, 'one attempt only');
    } finally {
      p.disconnect();
      await closeAll(a, b);
    }
  });
});
