// The peers Switchboard is compared with, besides the plain `ws` baseline: NATS server's WebSocket
// listener (our own nats-server) and Socket.IO.
import WebSocket from 'ws';
import { BENCH_CHANNEL } from './child-protocol.js';
import type { ClientSpec } from './load-clients.js';
import { makePayload, nowMicros } from './payload.js';
import { childRunning, type Scenario, siteTarget, wsBase } from './scenario-kit.js';
import { findNatsServer, NatsServer, NodeServer } from './server-proc.js';

const NATS_CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\n';
const NATS_SUBJECT = BENCH_CHANNEL;
/** PUBs per WebSocket frame in a burst: NATS clients batch writes the same way. */
const NATS_BATCH = 64;

const natsPub = (payload: string) => `PUB ${NATS_SUBJECT} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`;

export const nats: Scenario = {
  key: 'nats',
  label: 'NATS server websocket',
  unavailable: () => {
    const found = findNatsServer();
    return found.ok ? undefined : found.reason;
  },
  start: async () => {
    const found = findNatsServer();
    if (!found.ok) throw new Error(found.reason);
    const server = await NatsServer.start(found.path);
    const url = wsBase(server.port);
    // SUB then PING: the PONG proves the subscription is registered before anything is published.
    const pingPong = (ws: WebSocket, what: string) =>
      new Promise<void>((resolve, reject) => {
        const onFrame = (data: Buffer) => {
          if (data.includes('PONG')) {
            ws.off('message', onFrame);
            resolve();
          } else if (data.includes('-ERR')) reject(new Error(`${what}: ${data.toString('utf8')}`));
        };
        ws.on('message', onFrame);
      });
    const clients: ClientSpec = {
      url: () => url,
      handshake: (ws) => {
        const done = pingPong(ws, 'nats subscribe');
        ws.send(`${NATS_CONNECT}SUB ${NATS_SUBJECT} 1\r\nPING\r\n`);
        return done;
      },
      onOtherFrame: (ws, frame) => {
        if (frame.includes('PING\r\n')) ws.send('PONG\r\n');
      },
    };
    const publisher = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      publisher.once('open', () => resolve());
      publisher.once('error', reject);
    });
    const publisherReady = pingPong(publisher, 'nats publisher');
    publisher.send(`${NATS_CONNECT}PING\r\n`);
    await publisherReady;
    publisher.on('message', (data: Buffer) => {
      if (data.includes('PING\r\n')) publisher.send('PONG\r\n');
    });
    return {
      server,
      clients,
      ready: async () => undefined,
      burst: async (count, bytes) => {
        const line = natsPub(makePayload(bytes, 0));
        for (let sent = 0; sent < count; sent += NATS_BATCH) {
          publisher.send(line.repeat(Math.min(NATS_BATCH, count - sent)));
        }
      },
      paced: async (count, ratePerSec, bytes) => {
        const period = 1000 / ratePerSec;
        const start = performance.now();
        for (let i = 0; i < count; i++) {
          const wait = start + i * period - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          publisher.send(natsPub(makePayload(bytes, nowMicros())));
        }
        return undefined; // nats-server's own write time is not observable from here
      },
      close: async () => {
        publisher.terminate();
        await server.close();
      },
    };
  },
};

/**
 * Socket.IO 4 with its own `io.emit` broadcast. The clients speak Engine.IO v4 over raw `ws`
 * (open packet `0{…}`, namespace connect `40`, events `42[…]`, ping `2` → pong `3`) so the
 * load generator stays as lean as for every other server.
 */
export const socketIo: Scenario = {
  key: 'socketio',
  label: 'Socket.IO (io.emit)',
  unavailable: () => undefined,
  start: async () => {
    const server = await NodeServer.start('socketio');
    const clients: ClientSpec = {
      url: () => `${wsBase(server.port)}/socket.io/?EIO=4&transport=websocket`,
      handshake: (ws) =>
        new Promise<void>((resolve, reject) => {
          const onFrame = (data: Buffer) => {
            const text = data.toString('utf8');
            if (text.startsWith('0{')) ws.send('40');
            else if (text.startsWith('40')) {
              ws.off('message', onFrame);
              resolve();
            } else if (text.startsWith('44')) reject(new Error(`socket.io connect refused: ${text}`));
          };
          ws.on('message', onFrame);
        }),
      onOtherFrame: (ws, frame) => {
        if (frame.length === 1 && frame[0] === 0x32) ws.send('3');
      },
    };
    return childRunning(server, clients, siteTarget);
  },
};
