/**
 * The failure codes that need a failing engine to appear: 201 (consume failed), 203 (unpop
 * failed), 301 for a call that fails where the client lives, 401 for a publish the engine refuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PublishInput } from '../../src/core/types.js';
import type { PublishOptions, PublishResult, QueueConsumer } from '../../src/engines/engine.js';
import { MemoryChannelLog } from '../../src/engines/memory/memory-channel-log.js';
import { MemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { MemoryQueues } from '../../src/engines/memory/memory-queues.js';
import { post } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { Backend, backendUrl, gatewayClient, KEYS, type MeshTestServer } from './mesh-fixtures.js';

/** Memory engine pieces that fail on purpose for names starting with "broken" / "sticky". */
class FaultyQueues extends MemoryQueues {
  override async consume(ns: string, topic: string, consumer: QueueConsumer): Promise<() => Promise<void>> {
    if (topic.startsWith('broken')) throw new Error('queue store unavailable');
    const detach = await super.consume(ns, topic, consumer);
    if (!topic.startsWith('sticky')) return detach;
    return async () => {
      await detach();
      throw new Error('detach failed');
    };
  }
}

class FaultyLog extends MemoryChannelLog {
  override async publish(
    ns: string,
    channel: string,
    input: PublishInput,
    options: PublishOptions,
  ): Promise<PublishResult> {
    if (channel.startsWith('broken')) throw new Error('engine down');
    return super.publish(ns, channel, input, options);
  }

  override async watch(_ns: string, channel: string): Promise<void> {
    if (channel.startsWith('broken')) throw new Error('cannot watch');
  }
}

class FaultyEngine extends MemoryEngine {
  override readonly queues: MemoryQueues = new FaultyQueues();
  override readonly log: MemoryChannelLog = new FaultyLog(this.deliver);
}

describe('mesh error codes raised by engine failures', () => {
  let server: MeshTestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer(
      { namespaces: { demo: { api_keys: [KEYS.demo], client_topic: 'clients' } } },
      { engine: new FaultyEngine(1) },
    );
    backend = await Backend.connect(backendUrl(server));
  });
  after(async () => {
    await backend.close();
    await server.close();
  });

  it('queue.pop answers 201 when the consumer cannot be attached', async () => {
    const reply = await backend.request('queue.pop', { t: ['broken-topic'] });
    assert.equal(reply.E.c, 201);
    assert.match(reply.E.m, /queue store unavailable/);
  });

  it('queue.unpop answers 203 when a consumer cannot be detached', async () => {
    assert.equal((await backend.request('queue.pop', { t: ['sticky-topic'] })).E, null);
    const reply = await backend.request('queue.unpop', {});
    assert.equal(reply.E.c, 203);
    assert.match(reply.E.m, /detach failed/);
  });

  it('conn.call answers 301 when the call fails where the client lives', async () => {
    const popped = await backend.request('queue.pop', { t: ['clients'] });
    assert.equal(popped.E, null);
    const { client, id } = await gatewayClient(server, backend);
    const reply = await backend.request('conn.call', { c: id, f: 'subscribe', a: ['broken-channel'] });
    assert.equal(reply.E.c, 301);
    assert.match(reply.E.m, /cannot watch/);
    await client.close();
  });

  it('mesh.publish answers 401 when the engine cannot take the publication, on both transports', async () => {
    const ws = await backend.request('mesh.publish', { c: 'broken-channel', d: 1 });
    assert.equal(ws.E.c, 401);
    const http = await post(
      `${server.url}/v1/mesh/publish?site=demo`,
      { c: 'broken-channel', d: 1 },
      {
        authorization: `Bearer ${KEYS.demo}`,
      },
    );
    assert.equal(http.status, 200);
    assert.deepEqual(http.body, { E: { c: 401, m: 'publish failed: engine down' } });
  });
});
