// A page served from another origin reads nane's REST API from Chromium, the way a candidate's
// client does (axios.post to /api/rooms, /api/settings, /api/rooms/{name}/history: a JSON POST,
// which makes the browser send a CORS preflight first). Chromium itself enforces CORS here: a
// missing Access-Control-Allow-Origin or a refused preflight makes fetch reject in the page.
import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

describe('chat API from a page of another origin, in Chromium', () => {
  let browser: Browser;
  let server: Server;
  let other: HttpServer;
  let otherUrl: string;
  before(async () => {
    server = await startTestServer();
    const client = await RawClient.connect(server.wsUrl('/ws?username=poster'));
    client.send({ room: 'lobby', text: 'from the chat' });
    await client.next();
    await client.close();
    // The other origin: same host, another port, serving an empty page.
    other = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => other?.close(resolve));
    await server?.close();
  });

  it('POSTs JSON to the three routes (preflight included) and reads the answers', async () => {
    const page = await browser.newPage();
    await page.goto(otherUrl);
    const answers = await page.evaluate(async (api) => {
      const post = async (path: string) => {
        const res = await fetch(api + path, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/plain, */*' },
          body: '{}',
        });
        return { status: res.status, body: await res.json() };
      };
      return {
        origin: location.origin,
        rooms: await post('/api/rooms'),
        settings: await post('/api/settings'),
        history: await post('/api/rooms/lobby/history'),
      };
    }, server.url);
    assert.notEqual(answers.origin, new URL(server.url).origin, 'the page is of another origin');
    assert.equal(answers.rooms.status, 200);
    assert.equal(answers.rooms.body.result[0].name, 'lobby');
    assert.equal(typeof answers.settings.body.result.max_message_length, 'number');
    assert.equal(answers.history.body.result[0].text, 'from the chat');
    await page.close();
  });
});
