import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server-process.js';

/** The app's loader-call counter (`wai_custom_workshop_loads_total`) from /metrics. */
async function loaderCalls(server: ServerProcess): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const match = /^wai_custom_workshop_loads_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

// The built server on its embedded defaults (SQLite data + L3, no Redis), as `pnpm start` runs it.
describe('reference server on embedded defaults', () => {
  let server: ServerProcess;
  let createdId: number;

  beforeAll(async () => {
    server = await startServer({ env: { PERFORMANCE_MONITORING_INTERVAL: '1000' } });
  });

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('answers the health route without a token', async () => {
    const health = await request(`${server.url}/api/performance/enhanced/health`);
    expect(health.status).toBe(200);
    expect(typeof health.body.score).toBe('number');
    expect(['healthy', 'degraded', 'unhealthy']).toContain(health.body.status);
  });

  it('seeds demo data and pages and filters the list', async () => {
    const first = await request(`${server.url}/api/workshops`);
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(60);
    expect(first.body.items).toHaveLength(20);
    expect(Object.keys(first.body.items[0]).sort()).toEqual(['capacity', 'createdAt', 'description', 'id', 'registrations', 'startsAt', 'tags', 'title', 'updatedAt']);

    const page = await request(`${server.url}/api/workshops?page=3&pageSize=7`);
    expect(page.body.items).toHaveLength(7);
    expect(page.body.items[0].id).toBe(first.body.items[14].id);

    const filtered = await request(`${server.url}/api/workshops?q=PostgreSQL&pageSize=100`);
    expect(filtered.body.total).toBe(6);
    expect(filtered.body.items.every((w: { title: string }) => w.title.includes('PostgreSQL'))).toBe(true);

    const from = first.body.items[2].startsAt;
    const to = first.body.items[4].startsAt;
    const ranged = await request(`${server.url}/api/workshops?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(ranged.body.total).toBe(3);
  });

  it('serves a read from the cache on the second request and answers 304 to a matching ETag', async () => {
    const miss = await request(`${server.url}/api/workshops/7`);
    expect(miss.status).toBe(200);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const etag = miss.headers.get('etag');
    expect(etag).toBeTruthy();

    const hit = await request(`${server.url}/api/workshops/7`);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.body).toEqual(miss.body);
    expect(hit.headers.get('etag')).toBe(etag);

    const notModified = await fetch(`${server.url}/api/workshops/7`, { headers: { 'if-none-match': etag! } });
    expect(notModified.status).toBe(304);
    expect((await notModified.arrayBuffer()).byteLength).toBe(0);
  });

  it('rejects bad bodies with 400 and { error: { code, message } }', async () => {
    const missing = await request(`${server.url}/api/workshops`, { method: 'POST', body: { title: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('E_VALIDATION');
    expect(typeof missing.body.error.message).toBe('string');

    const extra = await request(`${server.url}/api/workshops`, {
      method: 'POST',
      body: { title: 'x', description: 'y', startsAt: '2030-01-01T10:00:00Z', capacity: 5, admin: true },
    });
    expect(extra.status).toBe(400);

    const badJson = await request(`${server.url}/api/workshops`, { method: 'POST', body: '{"title":' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBeTruthy();

    const badId = await request(`${server.url}/api/workshops/abc`);
    expect(badId.status).toBe(400);
    const emptyPatch = await request(`${server.url}/api/workshops/1`, { method: 'PUT', body: {} });
    expect(emptyPatch.status).toBe(400);
  });

  it('creates, partially updates and deletes, and reads never serve stale data after a write', async () => {
    const created = await request(`${server.url}/api/workshops`, {
      method: 'POST',
      body: { title: 'Zero-downtime deploys', description: 'Rolling restarts with graceful shutdown', startsAt: '2031-05-01T09:00:00Z', capacity: 25 },
    });
    expect(created.status).toBe(201);
    createdId = created.body.id;
    expect(created.headers.get('location')).toBe(`/api/workshops/${createdId}`);
    expect(created.body.startsAt).toBe('2031-05-01T09:00:00.000Z');

    // Warm the cached reads, then write: the cached list and item must not survive the write.
    await request(`${server.url}/api/workshops/${createdId}`);
    const cached = await request(`${server.url}/api/workshops/${createdId}`);
    expect(cached.headers.get('x-cache')).toBe('HIT');
    const listBefore = await request(`${server.url}/api/workshops?q=Zero-downtime`);
    expect(listBefore.body.total).toBe(1);

    const updated = await request(`${server.url}/api/workshops/${createdId}`, { method: 'PUT', body: { capacity: 40 } });
    expect(updated.status).toBe(200);
    expect(updated.body.capacity).toBe(40);
    expect(updated.body.title).toBe('Zero-downtime deploys');

    const afterUpdate = await request(`${server.url}/api/workshops/${createdId}`);
    expect(afterUpdate.headers.get('x-cache')).toBe('MISS');
    expect(afterUpdate.body.capacity).toBe(40);

    const removed = await request(`${server.url}/api/workshops/${createdId}`, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    const gone = await request(`${server.url}/api/workshops/${createdId}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('E_NOT_FOUND');
    const listAfter = await request(`${server.url}/api/workshops?q=Zero-downtime`);
    expect(listAfter.body.total).toBe(0);

    const missingUpdate = await request(`${server.url}/api/workshops/999999`, { method: 'PUT', body: { capacity: 3 } });
    expect(missingUpdate.status).toBe(404);
  });

  it('searches and lists popular workshops', async () => {
    const search = await request(`${server.url}/api/workshops/search?q=CACHING`);
    expect(search.status).toBe(200);
    expect(search.body.items.length).toBe(6);
    expect(search.body.items.every((w: { title: string; description: string }) => `${w.title} ${w.description}`.toLowerCase().includes('caching'))).toBe(true);
    // LIKE wildcards in the query are literal.
    expect((await request(`${server.url}/api/workshops/search?q=%25`)).body.items).toHaveLength(0);
    expect((await request(`${server.url}/api/workshops/search`)).status).toBe(400);

    const popular = await request(`${server.url}/api/workshops/popular`);
    expect(popular.body.items).toHaveLength(10);
    const registrations = popular.body.items.map((w: { registrations: number }) => w.registrations);
    expect(registrations).toEqual([...registrations].sort((a: number, b: number) => b - a));
  });

  it('serves the dashboard JSON in the guide shape', async () => {
    // One sample so the dashboard has figures.
    await new Promise((r) => setTimeout(r, 1200));
    const dashboard = await request(`${server.url}/api/performance/enhanced/dashboard`);
    expect(dashboard.status).toBe(200);
    const body = dashboard.body;
    expect(typeof body.overview.healthScore).toBe('number');
    expect(['healthy', 'degraded', 'unhealthy']).toContain(body.overview.status);
    for (const key of ['responseTime', 'errorRate', 'memoryUsage', 'requestsPerSecond', 'cacheHitRate']) {
      expect(body.keyMetrics).toHaveProperty(key);
    }
    expect(body.alerts).toHaveProperty('active');
    expect(body.bottlenecks).toHaveProperty('count');
    expect(Array.isArray(body.recommendations)).toBe(true);
    expect(body).toHaveProperty('cache');

    const page = await fetch(`${server.url}/api/performance/enhanced/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    await page.arrayBuffer();
  });

  it('runs the popular_workshops warming strategy from the dashboard and serves the warmed keys without loading', async () => {
    const warmed = await request(`${server.url}/api/performance/enhanced/cache/warm?strategy=popular_workshops`, { method: 'POST' });
    expect(warmed.status).toBe(200);
    expect(warmed.body.results[0]).toMatchObject({ strategy: 'popular_workshops', keysWarmed: 10, errors: [] });
    const loadsBefore = await loaderCalls(server);
    const popular = (await request(`${server.url}/api/workshops/popular`)).body.items as Array<{ id: number }>;
    for (const { id } of popular) expect((await request(`${server.url}/api/workshops/${id}`)).status).toBe(200);
    // Every popular workshop came from the warmed data cache: the loader did not run for any of them.
    expect(await loaderCalls(server)).toBe(loadsBefore);
    expect((await request(`${server.url}/api/performance/enhanced/cache/warm?strategy=nope`, { method: 'POST' })).status).toBe(404);
  });

  it('exposes Prometheus metrics with route templates, not raw URLs', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_route="\/api\/workshops\/:id"[^}]*\} \d+/);
    expect(text).not.toMatch(/http_route="\/api\/workshops\/7"/);
  });

  it('shuts down cleanly on SIGTERM and keeps data and metric history across a restart', async () => {
    const created = await request(`${server.url}/api/workshops`, {
      method: 'POST',
      body: { title: 'Survives restarts', description: 'persisted in SQLite', startsAt: '2032-01-01T09:00:00Z', capacity: 9 },
    });
    await new Promise((r) => setTimeout(r, 1200));
    // A request in flight when SIGTERM arrives is drained (finished), not cut off.
    const inFlight = request(`${server.url}/api/demo/slow?ms=800`);
    await new Promise((r) => setTimeout(r, 200));
    const stopped = server.stop();
    expect((await inFlight).status).toBe(200);
    expect(await stopped).toBe(0);

    const restartedAt = Date.now();
    const restarted = await startServer({ dataDir: server.dataDir, env: { PERFORMANCE_MONITORING_INTERVAL: '1000' } });
    try {
      const again = await request(`${restarted.url}/api/workshops/${created.body.id}`);
      expect(again.body.title).toBe('Survives restarts');
      // Seeding ran once: 60 demo rows + 1 created - 1 deleted earlier + this one.
      expect((await request(`${restarted.url}/api/workshops`)).body.total).toBe(61);
      // The 24 h view reads the history the previous process persisted (before this one sampled anything).
      const history = await request(`${restarted.url}/api/performance/enhanced/history?metric=requests_per_second&from=${Date.now() - 86_400_000}`);
      expect(history.status).toBe(200);
      const before = history.body.points.filter((p: { t: number }) => p.t < restartedAt);
      expect(before.length).toBeGreaterThan(0);
    } finally {
      expect(await restarted.stop()).toBe(0);
    }
  });
});
