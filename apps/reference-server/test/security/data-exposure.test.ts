import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type ServerProcess } from '../helpers/server-process.js';
import { PREFIX, PRODUCTION_MODES, startProduction, TOKEN, tryLive } from './security-helpers.js';

const SECRET_QUERY = 'q=alice%40example.com';
const READ_ROUTES = ['analytics', 'dashboard', 'metrics', 'bottlenecks', 'recommendations'];

async function searchTwice(server: ServerProcess): Promise<void> {
  // The second call is a response-cache hit, so the key is both stored and among the top keys.
  for (let i = 0; i < 2; i += 1) expect((await request(`${server.url}/api/workshops/search?${SECRET_QUERY}`)).status).toBe(200);
}

// Issue 19, row 2: read routes must not show other clients' query values.
describe.each(PRODUCTION_MODES)('row 2: query values on read routes ($name)', (mode) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startProduction(mode, { PERFORMANCE_MONITORING_INTERVAL: '1000' });
    await searchTwice(server);
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('analytics and dashboard show the cache key with the value replaced by a keyed hash', async () => {
    for (const route of READ_ROUTES) {
      const result = await request(`${server.url}${PREFIX}/${route}`);
      expect(result.status, route).toBe(200);
      const text = JSON.stringify(result.body);
      expect(text, route).not.toContain('alice');
      expect(text, route).not.toContain('example.com');
    }
    const analytics = JSON.stringify((await request(`${server.url}${PREFIX}/analytics`)).body);
    expect(analytics).toMatch(/\/api\/workshops\/search\?q=~[0-9a-f]{8}/);
  });

  it('live frames carry no query values either', async () => {
    if (mode.token === undefined) return; // no live updates in this mode (row 1)
    const viewer = await tryLive(server.url, { token: TOKEN, listenMs: 1500 });
    expect(viewer.frames.length).toBeGreaterThan(0);
    expect(JSON.stringify(viewer.frames)).not.toContain('alice');
  });
});

describe('row 2: opting in and protecting read routes', () => {
  it('DASHBOARD_SHOW_QUERY_VALUES=true shows the values', async () => {
    const server = await startProduction({ token: TOKEN }, { DASHBOARD_SHOW_QUERY_VALUES: 'true' });
    try {
      await searchTwice(server);
      expect(JSON.stringify((await request(`${server.url}${PREFIX}/analytics`)).body)).toContain(SECRET_QUERY);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  it('DASHBOARD_PUBLIC_READS=false puts every read route and /metrics behind the token; health stays public', async () => {
    const server = await startProduction({ token: TOKEN }, { DASHBOARD_PUBLIC_READS: 'false' });
    try {
      for (const path of [...READ_ROUTES.map((route) => `${PREFIX}/${route}`), `${PREFIX}/history?metric=error_rate`, '/metrics']) {
        const refused = await request(`${server.url}${path}`);
        expect(refused.status, path).toBe(401);
        expect(refused.body).toMatchObject({ error: { code: 'E_UNAUTHORIZED' } });
        expect((await request(`${server.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, path).toBe(200);
      }
      expect((await request(`${server.url}${PREFIX}/health`)).status).toBe(200);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
