import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type ServerProcess } from '../helpers/server-process.js';
import { PREFIX, startProduction, TOKEN } from './security-helpers.js';

const MUTATING = ['cache/warm', 'cache/invalidate', 'monitoring/start', 'monitoring/stop'];
const READS = ['dashboard', 'health', 'metrics', 'bottlenecks', 'recommendations', 'analytics', 'history?metric=error_rate'];

// The auth checks that already held before issue 19, kept in the replay.
describe('auth: production without a token', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startProduction({ token: undefined });
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('mounts no mutating route, no profile download and no demo route; reads and /metrics are public', async () => {
    for (const path of MUTATING) {
      expect((await request(`${server.url}${PREFIX}/${path}`, { method: 'POST', body: { all: true } })).status, path).toBe(404);
      expect((await request(`${server.url}${PREFIX}/${path}`, { method: 'POST', body: { all: true }, headers: { authorization: 'Bearer anything' } })).status, path).toBe(404);
    }
    expect((await request(`${server.url}${PREFIX}/profile?id=x`)).status).toBe(404);
    expect((await request(`${server.url}/api/demo/slow?ms=1`)).status).toBe(404);
    for (const path of READS) expect((await request(`${server.url}${PREFIX}/${path}`)).status, path).toBe(200);
    expect((await request(`${server.url}/metrics`)).status).toBe(200);
  });
});

describe('auth: production with a token', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startProduction({ token: TOKEN });
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('mutating routes need the bearer token: none or a wrong one is 401, the right one passes', async () => {
    for (const path of MUTATING) {
      const body = path === 'cache/invalidate' ? { all: true } : undefined;
      const missing = await request(`${server.url}${PREFIX}/${path}`, { method: 'POST', ...(body ? { body } : {}) });
      expect(missing.status, path).toBe(401);
      expect(missing.body).toMatchObject({ error: { code: 'E_UNAUTHORIZED' } });
      for (const authorization of ['Bearer wrong', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, `Bearer ${TOKEN}x`, TOKEN]) {
        expect((await request(`${server.url}${PREFIX}/${path}`, { method: 'POST', headers: { authorization }, ...(body ? { body } : {}) })).status, `${path} ${authorization}`).toBe(401);
      }
      const allowed = await request(`${server.url}${PREFIX}/${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, ...(body ? { body } : {}) });
      expect(allowed.status, path).toBe(200);
    }
    for (const path of READS) expect((await request(`${server.url}${PREFIX}/${path}`)).status, path).toBe(200);
  });

  it('mutating bodies are validated after auth', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    expect((await request(`${server.url}${PREFIX}/cache/invalidate`, { method: 'POST', headers, body: { key: 'a', tag: 'b' } })).status).toBe(400);
    expect((await request(`${server.url}${PREFIX}/cache/warm?strategy=nope`, { method: 'POST', headers })).status).toBe(404);
  });
});
