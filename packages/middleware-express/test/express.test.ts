import { createFakeClock } from '@wai/metrics-core/testing';
import { createPerformanceMonitor, type LoadSignal, type PerformanceMonitor } from '@wai/metrics-core';
import { configureForEnvironment, loadConfigFromEnv } from '@wai/metrics-core/config';
import { createMemoryCacheStore, createMemoryRateLimitStore, UNMATCHED_ROUTE } from '@wai/metrics-core/http';
import { sharedLimitStatuses } from '@wai/metrics-core/http/testing';
import { testRedis } from '@wai/test-services';
import express from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adaptiveRateLimit,
  createRouteMonitoring,
  enhancedRequestTiming,
  initializePerformanceSystem,
  instrumentApp,
  intelligentCache,
  invalidateOnWrite,
  requestErrorTracking,
  setDefaultMonitor,
} from '../src/index.js';
import { adaptiveLimitTrace, createTestRedisRateLimitStore, eventually, listen, type Listening } from '@wai/test-services/http';

const calm: LoadSignal = { timestamp: 0, eventLoopDelayP99: 5, latencyP99: 20, errorRate: 0, healthScore: 97, heapUsagePercent: 20, inFlight: 0 };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function monitorForTest(): PerformanceMonitor {
  const monitor = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false });
  cleanups.push(() => monitor.close());
  return monitor;
}

async function serve(app: express.Express): Promise<Listening> {
  const listening = await listen(app as never);
  cleanups.push(() => listening.close());
  return listening;
}

const endpoint = (monitor: PerformanceMonitor, route: string, method = 'GET') =>
  monitor.getCurrentMetrics().endpoints.find((stats) => stats.route === route && stats.method === method);

/** The routes both timing tests label: a parameterised one, one that throws, one slow enough to abort. */
function timedRoutes(framework: typeof express | typeof express4) {
  const router = framework.Router();
  router.get('/users/:id', (_req, res) => void res.json({ ok: true }));
  router.get('/boom', () => {
    throw new Error('kaput');
  });
  router.get('/slow', (_req, res) => void setTimeout(() => res.json({ late: true }), 1000));
  return router;
}

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
])('%s', (_name, framework) => {
  describe('enhancedRequestTiming', () => {
    it('labels parameterised, mounted, unmatched, failing and aborted requests by template', async () => {
      const monitor = monitorForTest();
      const app = framework();
      app.use(enhancedRequestTiming({ monitor, serverTiming: true }));
      const router = timedRoutes(framework);
      app.use('/api', router);
      app.use('/v2', router); // one Route object under two mount paths: each keeps its own label
      app.use(requestErrorTracking());
      const { url } = await serve(app);
      expect((await fetch(`${url}/v2/users/7`)).status).toBe(200);

      const ok = await fetch(`${url}/api/users/42?x=1`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('server-timing')).toMatch(/^total;dur=\d+\.\d\d$/);
      await fetch(`${url}/api/users/43`);
      expect((await fetch(`${url}/no/such/path`)).status).toBe(404);
      expect((await fetch(`${url}/api/users/1`, { method: 'DELETE' })).status).toBe(404);
      expect((await fetch(`${url}/api/boom`)).status).toBe(500);
      const controller = new AbortController();
      const aborted = fetch(`${url}/api/slow`, { signal: controller.signal }).catch(() => 'aborted');
      setTimeout(() => controller.abort(), 50);
      expect(await aborted).toBe('aborted');

      await eventually(() => (endpoint(monitor, '/api/slow')?.aborted ?? 0) === 1);
      expect(endpoint(monitor, '/api/users/:id')).toMatchObject({ count: 2, errors: 0 });
      expect(endpoint(monitor, '/v2/users/:id')).toMatchObject({ count: 1, errors: 0 });
      expect(endpoint(monitor, UNMATCHED_ROUTE)?.count).toBe(1);
      expect(endpoint(monitor, UNMATCHED_ROUTE, 'DELETE')?.count).toBe(1);
      expect(endpoint(monitor, '/api/boom')).toMatchObject({ count: 1 });
      expect(endpoint(monitor, '/api/boom')?.errors).toBeGreaterThanOrEqual(1);
      expect(monitor.getCurrentMetrics().endpoints.some((stats) => stats.route.includes('42'))).toBe(false);
      expect(monitor.getLoadSignal().inFlight).toBe(0);
    });

    it('reports to the default monitor when none is passed', async () => {
      const monitor = monitorForTest();
      setDefaultMonitor(monitor);
      cleanups.push(() => setDefaultMonitor(undefined));
      const app = framework();
      app.use(enhancedRequestTiming());
      app.get('/ping', (_req, res) => void res.send('pong'));
      const { url } = await serve(app);
      await fetch(`${url}/ping`);
      await eventually(() => endpoint(monitor, '/ping')?.count === 1);
    });
  });

  describe('instrumentApp', () => {
    it('times every request from the app entry, wherever it is called, with the same labels, and can be undone', async () => {
      const monitor = monitorForTest();
      const app = framework();
      // Registered before the instrumentation: still inside the timed span.
      app.use((_req, _res, next) => void setTimeout(next, 30));
      const router = timedRoutes(framework);
      app.use('/api', router);
      app.use(requestErrorTracking());
      const uninstrument = instrumentApp(app, { monitor, serverTiming: true });
      const { url } = await serve(app);

      const ok = await fetch(`${url}/api/users/42?x=1`);
      expect(ok.status).toBe(200);
      expect(Number(/total;dur=([\d.]+)/.exec(ok.headers.get('server-timing') ?? '')?.[1])).toBeGreaterThanOrEqual(25);
      expect((await fetch(`${url}/no/such/path`)).status).toBe(404);
      expect((await fetch(`${url}/api/boom`)).status).toBe(500);
      const controller = new AbortController();
      const aborted = fetch(`${url}/api/slow`, { signal: controller.signal }).catch(() => 'aborted');
      setTimeout(() => controller.abort(), 80);
      expect(await aborted).toBe('aborted');
      await eventually(() => (endpoint(monitor, '/api/slow')?.aborted ?? 0) === 1);
      expect(endpoint(monitor, '/api/users/:id')?.count).toBe(1);
      expect(endpoint(monitor, '/api/users/:id')?.responseTime.min).toBeGreaterThanOrEqual(25);
      expect(endpoint(monitor, UNMATCHED_ROUTE)?.count).toBe(1);
      expect(endpoint(monitor, '/api/boom')?.errors).toBeGreaterThanOrEqual(1);

      uninstrument();
      await fetch(`${url}/api/users/43`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(endpoint(monitor, '/api/users/:id')?.count).toBe(1);
    });
  });

  describe('intelligentCache', () => {
    async function cachedApp(options: Parameters<typeof intelligentCache>[0] = {}) {
      const calls = { count: 0 };
      const app = framework();
      const cache = intelligentCache({ store: createMemoryCacheStore(), ttl: 60, tags: ['items'], ...options });
      app.get('/items/:id', cache, (req, res) => {
        calls.count++;
        const variant = req.query.variant;
        if (variant === 'cookie') res.cookie('session', 'abc');
        if (variant === 'no-store') res.set('Cache-Control', 'no-store');
        if (variant === 'private') res.set('Cache-Control', 'private, max-age=60');
        if (variant === 'error') res.status(500);
        res.json({ id: req.params.id, call: calls.count });
      });
      app.get('/static', cache, (_req, res) => {
        calls.count++;
        res.json({ constant: true });
      });
      app.post('/items/:id', cache, invalidateOnWrite({ tags: ['items'], store: cache.cache.store }), (_req, res) => {
        calls.count++;
        res.status(201).json({ saved: true });
      });
      return { ...(await serve(app)), calls, cache };
    }

    it('goes MISS → HIT keeping the ETag Express made, answers If-None-Match with 304, and serves HEAD from the entry', async () => {
      const { url, calls } = await cachedApp();
      const first = await fetch(`${url}/items/1?b=2&a=1`);
      expect(first.headers.get('x-cache')).toBe('MISS');
      const etag = first.headers.get('etag');
      // Express's own weak ETag is kept (a handler's weak tag is its statement about equivalence).
      expect(etag).toMatch(/^W\/"/);
      const body = await first.text();
      expect(JSON.parse(body)).toEqual({ id: '1', call: 1 });
      const second = await fetch(`${url}/items/1?a=1&b=2`);
      expect(second.headers.get('x-cache')).toBe('HIT');
      expect(second.headers.get('etag')).toBe(etag);
      expect(second.headers.get('content-type')).toMatch(/json/);
      expect(await second.json()).toEqual({ id: '1', call: 1 });
      const conditional = await fetch(`${url}/items/1?a=1&b=2`, {
        // fetch adds `Cache-Control: no-cache` to conditional requests unless one is given (Fetch §4.5).
        headers: { 'if-none-match': etag as string, 'cache-control': 'max-age=600' },
      });
      expect(conditional.status).toBe(304);
      expect(conditional.headers.get('x-cache')).toBe('HIT');
      expect(await conditional.text()).toBe('');
      const head = await fetch(`${url}/items/1?a=1&b=2`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('x-cache')).toBe('HIT');
      expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
      expect(calls.count).toBe(1);
      const other = await fetch(`${url}/items/2`);
      expect(other.headers.get('x-cache')).toBe('MISS');
      const fresh304 = await fetch(`${url}/items/3`);
      const miss304 = await fetch(`${url}/items/4`, { headers: { 'if-none-match': fresh304.headers.get('etag') as string } });
      expect(miss304.status).toBe(200);
    });

    it('answers a MISS with 304 when the generated ETag matches', async () => {
      const { url } = await cachedApp();
      const first = await fetch(`${url}/static`, { headers: { 'cache-control': 'no-cache' } });
      const etag = first.headers.get('etag') as string;
      const again = await fetch(`${url}/static`, { headers: { 'cache-control': 'no-cache', 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(again.headers.get('x-cache')).toBe('MISS');
    });

    it('caches credentialed requests only when allowed', async () => {
      const { url, calls } = await cachedApp({ allowAuthorized: true });
      await fetch(`${url}/items/5`, { headers: { cookie: 'a=1' } });
      const second = await fetch(`${url}/items/5`, { headers: { cookie: 'a=1' } });
      expect(second.headers.get('x-cache')).toBe('HIT');
      expect(calls.count).toBe(1);
    });

    it('never caches POST, honours request no-cache, and invalidates tags on writes', async () => {
      const { url, calls } = await cachedApp();
      await fetch(`${url}/items/1`);
      expect((await fetch(`${url}/items/1`)).headers.get('x-cache')).toBe('HIT');
      const refreshed = await fetch(`${url}/items/1`, { headers: { 'cache-control': 'no-cache' } });
      expect(refreshed.headers.get('x-cache')).toBe('MISS');
      expect(await refreshed.json()).toEqual({ id: '1', call: 2 });
      expect(await (await fetch(`${url}/items/1`)).json()).toEqual({ id: '1', call: 2 });
      const write = await fetch(`${url}/items/1`, { method: 'POST' });
      expect(write.status).toBe(201);
      expect(write.headers.get('x-cache')).toBeNull();
      const afterWrite = await fetch(`${url}/items/1`);
      expect(afterWrite.headers.get('x-cache')).toBe('MISS');
      expect(calls.count).toBe(4);
    });

    it('serves STALE within stale-while-revalidate and refreshes in the background', async () => {
      const clock = createFakeClock(Date.now());
      const { url, calls } = await cachedApp({ ttl: 10, staleWhileRevalidate: 30, clock, store: createMemoryCacheStore({ clock }) });
      expect((await fetch(`${url}/items/1`)).headers.get('x-cache')).toBe('MISS');
      clock.advance(15_000);
      const stale = await fetch(`${url}/items/1`);
      expect(stale.headers.get('x-cache')).toBe('STALE');
      expect(await stale.json()).toEqual({ id: '1', call: 1 });
      await eventually(() => calls.count === 2);
      await eventually(async () => {
        const response = await fetch(`${url}/items/1`);
        return response.headers.get('x-cache') === 'HIT' && ((await response.json()) as { call: number }).call === 2;
      });
      clock.advance(60_000);
      expect((await fetch(`${url}/items/1`)).headers.get('x-cache')).toBe('MISS');
    });
  });

  describe('adaptiveRateLimit', () => {
    it('answers 429 with Retry-After, RateLimit-* headers and a JSON body, exempting /health', async () => {
      const monitor = monitorForTest();
      const app = framework();
      app.use(adaptiveRateLimit({ max: 2, windowMs: 60_000, monitor }));
      app.get('/health', (_req, res) => void res.send('ok'));
      app.get('/x', (_req, res) => void res.send('x'));
      const { url } = await serve(app);
      const first = await fetch(`${url}/x`);
      expect(first.headers.get('ratelimit-limit')).toBe('2');
      expect(first.headers.get('ratelimit-remaining')).toBe('1');
      await fetch(`${url}/x`);
      const limited = await fetch(`${url}/x`);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(limited.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
      expect(await limited.json()).toMatchObject({ error: { code: 'E_RATE_LIMITED' } });
      for (let index = 0; index < 3; index++) expect((await fetch(`${url}/health`)).status).toBe(200);
      expect(monitor.getCurrentMetrics().rateLimit).toMatchObject({ allowed: 2, limited: 1 });
    });

    it('counts each scope apart, with a scope per request from a function, in one shared store', async () => {
      const store = createMemoryRateLimitStore();
      cleanups.push(() => store.close());
      const scoped = framework();
      scoped.use(adaptiveRateLimit({ max: 1, store, scope: (req) => `reports ${req.path}` }));
      scoped.get('/:name', (req, res) => void res.send(req.params.name));
      const plain = framework();
      plain.use(adaptiveRateLimit({ max: 1, store }));
      plain.get('/:name', (req, res) => void res.send(req.params.name));
      const [first, second] = [await serve(scoped), await serve(plain)];
      const status = async (base: string, path: string) => (await fetch(`${base}${path}`)).status;
      expect([await status(first.url, '/a'), await status(first.url, '/b'), await status(first.url, '/a'), await status(first.url, '/b')]).toEqual([200, 200, 429, 429]);
      // The unscoped limiter's count was untouched by the scoped requests from the same client.
      expect([await status(second.url, '/a'), await status(second.url, '/b')]).toEqual([200, 429]);
    });

    it('shrinks the limit under injected stress and recovers (AIMD)', async () => {
      const clock = createFakeClock(Date.now());
      let signal = calm;
      const app = framework();
      app.use(adaptiveRateLimit({ max: 8, windowMs: 100, clock, loadSignal: () => signal, adaptive: { minDwellMs: 0, evaluateIntervalMs: 1000, decreaseFactor: 0.5, increaseStep: 0.25 } }));
      app.get('/x', (_req, res) => void res.send('x'));
      const { url } = await serve(app);
      const trace = await adaptiveLimitTrace({
        limitNow: async () => Number((await fetch(`${url}/x`)).headers.get('ratelimit-limit')),
        stress: (on) => (signal = on ? { ...calm, eventLoopDelayP99: 400, latencyP99: 3000 } : calm),
        advance: (ms) => clock.advance(ms),
      });
      expect(trace).toEqual([8, 4, 2, 4, 6, 8, 8]);
    });

    it('sheds requests beyond the concurrency limit with 503', async () => {
      const app = framework();
      app.use(adaptiveRateLimit({ max: 100, concurrency: { max: 1, retryAfterSeconds: 3 } }));
      app.get('/slow', (_req, res) => void setTimeout(() => res.send('done'), 200));
      const { url } = await serve(app);
      const slow = fetch(`${url}/slow`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const shed = await fetch(`${url}/slow`);
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('3');
      expect(await shed.json()).toMatchObject({ error: { code: 'E_OVERLOADED' } });
      expect((await slow).status).toBe(200);
      expect((await fetch(`${url}/slow`)).status).toBe(200);
    });

    it('shares one limit between two app instances through Redis', async () => {
      const redis = await testRedis('express-rate-limit');
      cleanups.push(() => redis.close());
      const store = createTestRedisRateLimitStore(redis.client, redis.prefix);
      const start = (instance: number) => {
        const app = framework();
        app.use(adaptiveRateLimit({ max: 3, windowMs: 60_000, store, keyGenerator: () => 'shared-client' }));
        app.get('/x', (_req, res) => void res.send(`instance ${instance}`));
        return listen(app as never);
      };
      expect(await sharedLimitStatuses(start)).toEqual([200, 200, 200, 429, 429]);
    });
  });
});

describe('createRouteMonitoring and initializePerformanceSystem', () => {
  it('reports one ratelimit phase when an app-wide limit and a router limit both run (the README /api/reports/:id)', async () => {
    const monitor = monitorForTest();
    const app = express();
    const appWide = adaptiveRateLimit({ monitor, max: 1000 });
    const monitoring = createRouteMonitoring({ monitor, rateLimit: { max: 20 } });
    cleanups.push(() => appWide.close(), () => monitoring.close());
    app.use(enhancedRequestTiming({ monitor, serverTiming: true }));
    app.use('/api', appWide);
    const reports = express.Router();
    reports.use(monitoring);
    reports.get('/:id', (req, res) => res.json({ id: req.params.id }));
    app.use('/api/reports', reports);
    const { url } = await serve(app);
    const timing = (await fetch(`${url}/api/reports/1`)).headers.get('server-timing') ?? '';
    expect(timing.match(/ratelimit;dur=/g)).toHaveLength(1);
    expect(timing).toMatch(/total;dur=/);
  });

  it('applies timing, limits and caching to a router, with phase timings and one rate-limited profile', async () => {
    const monitor = monitorForTest();
    const profiles: Array<{ topFunctions: unknown[]; reason: string }> = [];
    const app = express();
    const router = express.Router();
    const monitoring = createRouteMonitoring({
      monitor,
      enableCaching: true,
      cacheTTL: 60,
      cacheStore: createMemoryCacheStore(),
      rateLimit: { max: 1000 },
      enableProfiling: { slowRequestMs: 20, durationMs: 50, minIntervalMs: 60_000, onProfile: (summary) => profiles.push(summary) },
    });
    cleanups.push(() => monitoring.close());
    router.use(monitoring);
    router.get('/report', (_req, res) => {
      const until = performance.now() + 30;
      while (performance.now() < until); // a slow, CPU-bound handler
      res.json({ report: true });
    });
    app.use('/api', router);
    const { url } = await serve(app);
    const first = await fetch(`${url}/api/report`);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.headers.get('server-timing')).toMatch(/ratelimit;dur=.*cache;dur=.*total;dur=/);
    expect(first.headers.get('ratelimit-limit')).toBe('1000');
    expect((await fetch(`${url}/api/report`)).headers.get('x-cache')).toBe('HIT');
    await eventually(() => profiles.length === 1, 5000);
    expect(profiles[0]?.reason).toMatch(/slow route GET \/api\/report/);
    expect(Array.isArray(profiles[0]?.topFunctions)).toBe(true);
    expect(monitor.getProfiles()).toHaveLength(1);
    await fetch(`${url}/api/report`, { headers: { 'cache-control': 'no-cache' } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(monitor.getProfiles()).toHaveLength(1);
    expect(endpoint(monitor, '/api/report')?.count).toBe(3);
  });

  it('wires a monitor and the default cache so guide-style calls need no arguments', async () => {
    const app = express();
    const { createServer } = await import('node:http');
    const server = createServer(app);
    const system = initializePerformanceSystem(app, server, { monitor: { systemMetrics: false, defaultAlertRules: false } });
    cleanups.push(() => system.close());
    app.get('/workshops', intelligentCache({ ttl: 600 }), (_req, res) => void res.json([{ id: 1 }]));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await fetch(`http://127.0.0.1:${port}/workshops`);
    const hit = await fetch(`http://127.0.0.1:${port}/workshops`);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    await eventually(() => endpoint(system.monitor, '/workshops')?.count === 2);
    expect(system.monitor.isRunning).toBe(true);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await eventually(() => !system.monitor.isRunning);
  });

  it('reads deployment settings and refuses a bad environment variable', async () => {
    const app = express();
    expect(() => initializePerformanceSystem(app, undefined, { settings: loadConfigFromEnv({ PERFORMANCE_MONITORING_INTERVAL: 'soon' }) })).toThrow(
      expect.objectContaining({ code: 'E_CONFIG_INVALID', message: expect.stringContaining('PERFORMANCE_MONITORING_INTERVAL') }),
    );
    const disabled = initializePerformanceSystem(app, undefined, {
      settings: configureForEnvironment('test', { monitoring: { enabled: false } }),
      monitor: { systemMetrics: false },
    });
    cleanups.push(() => disabled.close());
    expect(disabled.monitor.isRunning).toBe(false);
  });
});
