import { connect, type Socket } from 'node:net';

/** A raw TCP socket from a chosen loopback address that records what it receives and when it ends. */
export interface RawSocket {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves when the server closed the socket (or it failed), with what it sent. */
  closed: Promise<string>;
}

export function rawSocket(port: number, localAddress = '127.0.0.1'): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
    });
    const closed = new Promise<string>((r) => socket.on('close', () => r(text)));
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve({ socket, received: () => text, closed });
    });
    socket.once('error', reject);
  });
}

/** Resolves with `p`'s value, or rejects once `ms` have passed: every wait in a test is bounded. */
export function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]);
}

/** Writes `chunks` one per `everyMs` until they run out or the socket closes. */
export function drip(socket: Socket, chunks: string[], everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (i >= chunks.length || socket.destroyed) return clearInterval(timer);
    socket.write(chunks[i++]!);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}
