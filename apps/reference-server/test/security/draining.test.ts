import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../helpers/server-process.js';
import { connectionRefused, PREFIX, PRODUCTION_MODES, rawExchange, sleep, startProduction } from './security-helpers.js';

/** A keep-alive connection that sends one request at a time and returns each raw answer. */
function keepAlive(port: number): Promise<{ send(path: string): Promise<string>; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      let buffer = '';
      let waiting: ((text: string) => void) | undefined;
      socket.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const end = buffer.indexOf('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(buffer)?.[1] ?? 0);
        if (end >= 0 && buffer.length >= end + 4 + length && waiting) {
          const text = buffer;
          buffer = '';
          waiting(text);
          waiting = undefined;
        }
      });
      resolve({
        socket,
        send: (path) =>
          new Promise((answer) => {
            waiting = answer;
            socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
          }),
      });
    });
    socket.on('error', () => undefined);
  });
}

// Issue 19, row 4: during shutdown, new and keep-alive requests get 503 until the listener closes.
describe.each(PRODUCTION_MODES)('row 4: draining ($name)', (mode) => {
  let server: ServerProcess | undefined;
  afterEach(() => server?.cleanup());

  it('answers 503 on new and keep-alive connections (health included) for SHUTDOWN_DRAIN_DELAY_MS, then refuses; exits 0', async () => {
    server = await startProduction(mode, { SHUTDOWN_DRAIN_DELAY_MS: '1500' });
    const kept = await keepAlive(server.port);
    expect(await kept.send(`${PREFIX}/health`)).toMatch(/^HTTP\/1\.1 200/);
    const exited = server.stop();
    await sleep(300);

    const health = await rawExchange(server.port, `GET ${PREFIX}/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 3000);
    expect(health.status).toBe(503);
    expect(health.text.toLowerCase()).toContain('connection: close');
    expect(health.json).toEqual({ error: { code: 'E_SHUTTING_DOWN', message: expect.stringContaining('shutting down') } });
    const api = await rawExchange(server.port, 'GET /api/workshops?pageSize=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 3000);
    expect(api.status).toBe(503);
    expect(await kept.send('/api/workshops/1')).toMatch(/^HTTP\/1\.1 503/);

    expect(await exited).toBe(0);
    expect(await connectionRefused(server.port)).toBe(true);
  });
});
