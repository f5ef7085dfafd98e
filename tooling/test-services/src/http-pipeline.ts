import { once } from 'node:events';
import { connect } from 'node:net';

/**
 * Sends `paths` as pipelined HTTP/1.1 GETs in one write on one connection (so the server routes the later ones
 * while the first is still in flight), destroys the connection as soon as `closeWhen(received)` holds, and
 * resolves with everything received once it has closed.
 */
export async function pipelinedGets(port: number, paths: readonly string[], closeWhen: (received: string) => boolean): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (closeWhen(received)) socket.destroy();
    });
    const closed = once(socket, 'close');
    socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    await closed;
    return received;
  } finally {
    socket.destroy();
  }
}

/** How many HTTP/1.1 status lines `received` holds. */
export const responseCount = (received: string): number => received.split('HTTP/1.1 ').length - 1;
