import { existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../helpers/server-process.js';
import { PRODUCTION_MODES, rawExchange, sleep, startProduction } from './security-helpers.js';

const SLOW_BODY = 'POST /api/workshops HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"ti';

// Issue 19, row 3: slowly sent requests are timed out; shutdown is not held by a stuck socket.
describe.each(PRODUCTION_MODES)('row 3: slow clients ($name)', (mode) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startProduction(mode, { REQUEST_TIMEOUT_MS: '1500', HEADERS_TIMEOUT_MS: '1000', CONNECTION_TIMEOUT_MS: '5000', KEEP_ALIVE_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('a body announced as 1000 bytes of which 4 arrive is answered 408 and closed within REQUEST_TIMEOUT_MS (+ 1 s check)', async () => {
    const answer = await rawExchange(server.port, SLOW_BODY, 6000);
    expect(answer.closedAfterMs).toBeDefined();
    expect(answer.closedAfterMs!).toBeLessThan(1500 + 1000 + 500);
    expect(answer.status).toBe(408);
    expect(answer.json).toEqual({ error: { code: 'E_REQUEST_TIMEOUT', message: expect.stringContaining('not received in time') } });
  });

  it('headers that never finish are cut within HEADERS_TIMEOUT_MS (+ check interval)', async () => {
    const answer = await rawExchange(server.port, 'GET /api/workshops HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 6000);
    expect(answer.closedAfterMs).toBeDefined();
    expect(answer.closedAfterMs!).toBeLessThan(1000 + 500 + 500);
  });

  it('a keep-alive connection left idle is closed after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const answer = await rawExchange(server.port, 'GET /api/workshops?pageSize=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 6000);
    expect(answer.status).toBe(200);
    expect(answer.closedAfterMs).toBeDefined();
    // Node keeps an idle socket up to a second past keepAliveTimeout (its keep-alive buffer).
    expect(answer.closedAfterMs!).toBeLessThan(1000 + 1000 + 800);
  });

  it('a connection that sends nothing at all is closed (headers timeout)', async () => {
    const answer = await rawExchange(server.port, '', 6000);
    expect(answer.closedAfterMs).toBeDefined();
    expect(answer.closedAfterMs!).toBeLessThan(1000 + 500 + 500);
  });

  it('200 slow bodies at once are all closed and the server keeps answering meanwhile', async () => {
    const slow = Array.from({ length: 200 }, () => rawExchange(server.port, SLOW_BODY, 8000));
    await sleep(300);
    const response = await fetch(`${server.url}/api/workshops?pageSize=1`);
    expect(response.status).toBe(200);
    const answers = await Promise.all(slow);
    expect(answers.filter((answer) => answer.closedAfterMs === undefined)).toHaveLength(0);
    const slowest = Math.max(...answers.map((answer) => answer.closedAfterMs!));
    console.info(`[row 3] 200 slow bodies: the last one closed after ${slowest} ms`);
    expect(slowest).toBeLessThan(3500);
    expect(answers.filter((answer) => answer.status === 408)).toHaveLength(200);
  });
});

describe('row 3: a connection that goes quiet', () => {
  it('is closed after CONNECTION_TIMEOUT_MS of no traffic, long before REQUEST_TIMEOUT_MS', async () => {
    const server = await startProduction({ token: undefined }, { CONNECTION_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '30000' });
    try {
      const answer = await rawExchange(server.port, SLOW_BODY, 6000);
      expect(answer.closedAfterMs).toBeDefined();
      expect(answer.closedAfterMs!).toBeLessThan(1000 + 800);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});

describe('row 3: shutdown with a stuck socket', () => {
  it('SIGTERM cuts the stuck request after SHUTDOWN_TIMEOUT_MS, still closes cache, history and database, exits 0', async () => {
    // Default request timeout (30 s): only the shutdown can free this socket.
    const server = await startProduction({ token: undefined }, { SHUTDOWN_TIMEOUT_MS: '1000', LOG_LEVEL: 'info' });
    try {
      const stuck = connect(server.port, '127.0.0.1', () => stuck.write(SLOW_BODY));
      stuck.on('error', () => undefined);
      let stuckClosed = false;
      stuck.on('close', () => (stuckClosed = true));
      await sleep(300);
      const started = Date.now();
      const code = await server.stop();
      const tookMs = Date.now() - started;
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(1000 + 4000);
      expect(stuckClosed).toBe(true);
      expect(server.output()).toContain('shutdown complete: cache tiers, history and database closed');
      // SQLite removes a WAL file when its last connection closes cleanly: both files were closed.
      expect(existsSync(join(server.dataDir, 'cache.db-wal')) && statSync(join(server.dataDir, 'cache.db-wal')).size > 0).toBe(false);
      expect(existsSync(join(server.dataDir, 'workshops.db-wal')) && statSync(join(server.dataDir, 'workshops.db-wal')).size > 0).toBe(false);
    } finally {
      server.cleanup();
    }
  });
});
