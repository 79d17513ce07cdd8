// An app's connection quota (`pusher.max_connections`): past it a new connection gets Pusher's
// 4004, which pusher-js treats as "refused" (no reconnect); a closed connection frees its place,
// and another app's connections are not counted against it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
