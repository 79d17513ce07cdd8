// A chat client is subscribed to every room by connecting: the node watches the chat namespace
// from the start, and an upgrade is accepted only once that watch is in place. The engine here is
// the memory engine with its watch made to fail a given number of times, as a Redis engine's does
// while Redis is unreachable (the cluster tests cover the real Redis path).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryChannelLog } from '../../src/engines/memory/memory-channel-log.js';
import { MemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { startTestServer } from '../helpers/server.js';
import { expectRefused, RawClient } from '../helpers/ws-client.js';

/** A channel log whose namespace watch fails while `fail()` says so. */
class FailingWatchLog extends MemoryChannelLog {
  constructor(
    deliver: ConstructorParameters<typeof MemoryChannelLog>[0],
    private readonly fail: () => boolean,
  ) {
    super(deliver);
  }
  override async watchNamespace(ns: string): Promise<void> {
    if (this.fail()) throw new Error('watch failed: Redis is unreachable (test)');
    return super.watchNamespace(ns);
  }
}

class UnreachableAtFirst extends MemoryEngine {
  watches = 0;
  constructor(private failures: number) {
    super(1);
  }
  override readonly log: MemoryChannelLog = new FailingWatchLog(this.deliver, () => {
    this.watches++;
    if (this.failures <= 0) return false;
    this.failures--;
    return true;
  });
}

describe('chat: the namespace watch behind every chat connection', () => {
  it('watches the chat namespace at start, before any client connects', async () => {
    const engine = new UnreachableAtFirst(0);
    const server = await startTestServer({}, { engine });
    try {
      assert.equal(engine.watches, 1);
    } finally {
      await server.close();
    }
  });

  it('refuses an upgrade with 503 while the watch fails, and accepts once it succeeds', async () => {
    // Fails at start and on the first upgrade's retry; the second upgrade's retry succeeds.
    const engine = new UnreachableAtFirst(2);
    const server = await startTestServer({}, { engine });
    try {
      const refused = await expectRefused(server.wsUrl('/ws?username=early'));
      assert.equal(refused.status, 503);
      assert.deepEqual(JSON.parse(refused.body), {
        error: 'chat is unavailable: the engine cannot be reached',
      });

      const client = await RawClient.connect(server.wsUrl('/ws?username=later'));
      const other = await RawClient.connect(server.wsUrl('/ws?username=other'));
      other.send({ room: 'lobby', text: 'hello' });
      assert.equal((await client.next()).text, 'hello');
      assert.equal(engine.watches, 3, 'watched again only until it worked');
      await Promise.all([client.close(), other.close()]);
    } finally {
      await server.close();
    }
  });
});
