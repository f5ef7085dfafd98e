import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server-process.js';
import { PREFIX, startProduction, TOKEN, tryLive } from './security-helpers.js';

const EVIL = 'https://evil.example';

// Issue 19, row 6: mutating dashboard routes refuse cross-origin browser requests, token or not.
describe('row 6: cross-origin requests in development (no token)', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ env: { NODE_ENV: 'development', LOG_LEVEL: 'warn', CACHE_WARMING_ENABLED: 'false', SHUTDOWN_DRAIN_DELAY_MS: '0', DASHBOARD_ALLOWED_ORIGINS: 'https://ops.example' } });
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('a body-less POST from another origin is refused with 403 and does nothing', async () => {
    for (const path of ['monitoring/stop', 'cache/warm', 'monitoring/start']) {
      const refused = await request(`${server.url}${PREFIX}/${path}`, { method: 'POST', headers: { origin: EVIL } });
      expect(refused.status, path).toBe(403);
      expect(refused.body).toEqual({ error: { code: 'E_FORBIDDEN', message: expect.stringContaining('cross-origin') } });
    }
    const invalidate = await request(`${server.url}${PREFIX}/cache/invalidate`, { method: 'POST', headers: { origin: 'null' }, body: { all: true } });
    expect(invalidate.status).toBe(403);
    const site = await request(`${server.url}${PREFIX}/monitoring/stop`, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(site.status).toBe(403);
  });

  it('the same origin, an allowed origin and non-browser clients (no Origin) pass', async () => {
    expect((await request(`${server.url}${PREFIX}/monitoring/start`, { method: 'POST', headers: { origin: server.url } })).status).toBe(200);
    expect((await request(`${server.url}${PREFIX}/monitoring/start`, { method: 'POST', headers: { origin: 'https://ops.example' } })).status).toBe(200);
    expect((await request(`${server.url}${PREFIX}/monitoring/start`, { method: 'POST' })).status).toBe(200);
  });

  it('development mounts the demo routes, and the mutating routes and the WebSocket without a token', async () => {
    expect((await request(`${server.url}/api/demo/slow?ms=1`)).status).toBe(200);
    expect((await request(`${server.url}${PREFIX}/cache/invalidate`, { method: 'POST', body: { tag: 'none' } })).status).toBe(200);
    expect((await tryLive(server.url, { listenMs: 300 })).opened).toBe(true);
  });

  it('the WebSocket refuses another origin (cross-site WebSocket hijacking)', async () => {
    expect(await tryLive(server.url, { headers: { origin: EVIL } })).toMatchObject({ opened: false, status: 403, frames: [] });
    expect((await tryLive(server.url, { headers: { origin: server.url }, listenMs: 300 })).opened).toBe(true);
  });
});

describe('row 6: cross-origin requests in production with a token', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startProduction({ token: TOKEN });
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('the right token from another origin is still refused', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, origin: EVIL };
    expect((await request(`${server.url}${PREFIX}/monitoring/stop`, { method: 'POST', headers })).status).toBe(403);
    expect((await request(`${server.url}${PREFIX}/monitoring/stop`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });
});
