/**
 * A channel literally named `*` is an ordinary channel on a real cluster: a site client of the
 * chat namespace subscribing to `*` and leaving it again must not end the node's watch of the
 * whole namespace (chat clients on that node would stop hearing the other nodes), and a `*`
 * subscriber hears only what is published to `*`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../helpers/ws-client.js';
import {
  deleteRedisPrefix,
  type NodeProcess,
  removeDir,
  SITE,
  SiteSubscriber,
  sitePoster,
  startNode,
  tempDir,
  until,
} from './helpers.js';

const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;

describe('cluster: a channel named * is an ordinary channel', () => {
  let dir: string;
  let a: NodeProcess;
  let b: NodeProcess;
  before(async () => {
    dir = tempDir();
    // The site namespace doubles as the chat namespace, so site clients can subscribe in it.
    const nodes = await Promise.all(
      [111, 112].map((nodeId) => startNode({ nodeId, prefix, dir, chatNamespace: SITE.name })),
    );
    [a, b] = nodes as [NodeProcess, NodeProcess];
  });
  after(async () => {
    await Promise.all([a, b].map((n) => n?.stop()));
    await deleteRedisPrefix(prefix);
    removeDir(dir);
  });

  it('keeps chat clients on a node hearing other nodes after a site client there left channel *', async () => {
    const carol = await RawClient.connect(a.wsUrl('/ws?username=carol'));
    const star = await SiteSubscriber.open(a, '*');
    // Unsubscribe and wait for its ok: the node has ended its watch of channel `*` by then.
    star.ws.send(JSON.stringify({ request: 'unsubscribe', req_id: 'u1', body: { channel: '*' } }));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to unsubscribe')), 5000);
      star.ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString()) as { response?: string; req_id?: string };
        if (frame.req_id !== 'u1') return;
        clearTimeout(timer);
        if (frame.response === 'ok') resolve();
        else reject(new Error(`unsubscribe refused: ${data.toString()}`));
      });
    });
    const bob = await RawClient.connect(b.wsUrl('/ws?username=bob'));
    bob.send({ room: 'lobby', text: 'hello from B' });
    const got = await carol.next();
    assert.equal(`${got.room}:${got.sender.username}:${got.text}`, 'lobby:bob:hello from B');
    await Promise.all([carol.close(), bob.close(), star.close()]);
  });

  it('gives a subscriber of * on one node only the publications of * made on another', async () => {
    const star = await SiteSubscriber.open(a, '*');
    // Every channel message the socket gets, whatever its channel (the helper keeps only `*`'s).
    const heard: string[] = [];
    star.ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { message?: string };
      if (frame.message !== undefined) heard.push(frame.message);
    });
    const post = await sitePoster(b);
    assert.equal(await post('news', { n: 1 }), 200);
    assert.equal(await post('*', { n: 2 }), 200);
    await until(() => star.messages.length >= 1, 'the publication of *');
    assert.deepEqual(
      star.messages.map((m) => m.body),
      [{ n: 2 }],
    );
    assert.deepEqual(heard, ['*'], 'the publication of "news", made first, is not delivered');
    await star.close();
  });
});
