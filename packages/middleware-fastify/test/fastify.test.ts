import { Agent, get as httpGet } from 'node:http';
import type { Socket } from 'node:net';
import { createPerformanceMonitor, type LoadSignal, type PerformanceMonitor } from '@wai/metrics-core';
import { createMemoryCacheStore, UNMATCHED_ROUTE } from '@wai/metrics-core/http';
import { createFakeClock } from '@wai/metrics-core/testing';
import { sharedLimitStatuses } from '@wai/metrics-core/http/testing';
import { pipelinedGets, testRedis } from '@wai/test-services';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { adaptiveLimitTrace, createTestRedisRateLimitStore, eventually } from '@wai/test-services/http';
import { waiPerformance, type WaiPerformanceOptions } from '../src/index.js';
import { routeConfigReader } from '../src/plugin.js';

const calm: LoadSignal = { timestamp: 0, eventLoopDelayP99: 5, latencyP99: 20, errorRate: 0, healthScore: 97, heapUsagePercent: 20, inFlight: 0 };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A monitor without system sampling or default alerts, closed when the test finishes. */
const monitorForTest = (): PerformanceMonitor => {
  const monitor = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false });
  onTestFinished(() => monitor.close());
  return monitor;
};

async function appWith(options: WaiPerformanceOptions, routes: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(waiPerformance, options);
  routes(app);
  await app.ready();
  cleanups.push(() => app.close());
  return app;
}

const endpoint = (monitor: PerformanceMonitor, route: string, method = 'GET') =>
  monitor.getCurrentMetrics().endpoints.find((stats) => stats.route === route && stats.method === method);

describe('timing', () => {
  it('labels parameterised, unmatched, failing and aborted requests by template', async () => {
    const monitor = monitorForTest();
    const app = await appWith({ monitor, serverTiming: true }, (instance) => {
      instance.get('/api/users/:id', async () => ({ ok: true }));
      instance.get('/api/boom', async () => {
        throw new Error('kaput');
      });
      instance.get('/api/slow', (_request, reply) => void setTimeout(() => reply.send({ late: true }), 1000));
    });
    const ok = await app.inject('/api/users/42?x=1');
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['server-timing']).toMatch(/total;dur=\d+\.\d\d$/);
    await app.inject('/api/users/43');
    expect((await app.inject('/no/such/path')).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/api/users/1' })).statusCode).toBe(404);
    expect((await app.inject('/api/boom')).statusCode).toBe(500);
    // Aborts need a real socket.
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const controller = new AbortController();
    const aborted = fetch(`http://127.0.0.1:${port}/api/slow`, { signal: controller.signal }).catch(() => 'aborted');
    setTimeout(() => controller.abort(), 50);
    expect(await aborted).toBe('aborted');
    await eventually(() => (endpoint(monitor, '/api/slow')?.aborted ?? 0) === 1);

    expect(endpoint(monitor, '/api/users/:id')).toMatchObject({ count: 2, errors: 0 });
    expect(endpoint(monitor, UNMATCHED_ROUTE)?.count).toBe(1);
    expect(endpoint(monitor, UNMATCHED_ROUTE, 'DELETE')?.count).toBe(1);
    expect(endpoint(monitor, '/api/boom')?.errors).toBeGreaterThanOrEqual(1);
    expect(monitor.getCurrentMetrics().endpoints.some((stats) => stats.route.includes('42'))).toBe(false);
  });

  it('counts aborts per keep-alive connection without counting completed requests on it as aborted', async () => {
    const monitor = monitorForTest();
    let hangStarted = false;
    const app = await appWith({ monitor }, (instance) => {
      instance.get('/fast', async () => ({ ok: true }));
      instance.get('/hang', (_request, reply) => {
        hangStarted = true;
        setTimeout(() => reply.send({ late: true }), 1000);
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const get = (path: string) =>
      new Promise<{ status: number; socket: Socket }>((resolve, reject) => {
        const req = httpGet({ host: '127.0.0.1', port, path, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket as Socket }));
        });
        req.on('error', reject);
      });
    const first = await get('/fast');
    const second = await get('/fast');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.socket).toBe(first.socket);
    // A request in flight on the same connection when it closes is the one abort.
    const hanging = httpGet({ host: '127.0.0.1', port, path: '/hang', agent });
    hanging.on('error', () => undefined);
    await eventually(() => hangStarted);
    hanging.destroy();
    await eventually(() => (endpoint(monitor, '/hang')?.aborted ?? 0) === 1);
    expect(endpoint(monitor, '/fast')).toMatchObject({ count: 2, aborted: 0 });
  });

  it('times pipelined requests that share a connection, and aborts only those still in flight when it closes', async () => {
    const monitor = monitorForTest();
    const app = await appWith({ monitor }, (instance) => {
      instance.get('/late/:ms', (request, reply) => {
        const { ms } = request.params as { ms: string };
        setTimeout(() => reply.send({ late: ms }), Number(ms));
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const pipeline = (paths: string[], closeWhen: (received: string) => boolean) => pipelinedGets(port, paths, closeWhen);
    const both = await pipeline(['/late/80', '/late/10'], (received) => received.split('HTTP/1.1 200').length === 3);
    expect(both.split('HTTP/1.1 200').length).toBe(3);
    await eventually(() => (endpoint(monitor, '/late/:ms')?.count ?? 0) === 2);
    expect(endpoint(monitor, '/late/:ms')?.aborted).toBe(0);

    // Closed after the first response: the second request (a long one) is the one abort.
    await pipeline(['/late/10', '/late/500'], (received) => received.includes('HTTP/1.1 200'));
    await eventually(() => (endpoint(monitor, '/late/:ms')?.aborted ?? 0) === 1);
    expect(endpoint(monitor, '/late/:ms')?.count).toBe(3);
  });

  it('reports each app to its own monitor when several listen in one process, and keeps reporting after one closes', async () => {
    const [firstMonitor, secondMonitor] = [monitorForTest(), monitorForTest()];
    const first = await appWith({ monitor: firstMonitor }, (instance) => instance.get('/one', async () => 'one'));
    const second = await appWith({ monitor: secondMonitor }, (instance) => instance.get('/two', async () => 'two'));
    const urlOf = async (app: FastifyInstance) => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    };
    const [firstUrl, secondUrl] = [await urlOf(first), await urlOf(second)];
    expect(await (await fetch(`${firstUrl}/one`)).text()).toBe('one');
    expect(await (await fetch(`${secondUrl}/two`)).text()).toBe('two');
    await eventually(() => endpoint(firstMonitor, '/one')?.count === 1 && endpoint(secondMonitor, '/two')?.count === 1);
    await first.close();
    expect(await (await fetch(`${secondUrl}/two`)).text()).toBe('two');
    await eventually(() => endpoint(secondMonitor, '/two')?.count === 2);
    expect(firstMonitor.getCurrentMetrics().endpoints.map((stats) => stats.route)).toEqual(['/one']);
    expect(secondMonitor.getCurrentMetrics().endpoints.map((stats) => stats.route)).toEqual(['/two']);
  });

  it('labels routes of encapsulated, prefixed plugins with the full template', async () => {
    const monitor = monitorForTest();
    const app = await appWith({ monitor }, (instance) => {
      void instance.register(
        async (child) => {
          child.get('/orders/:orderId', async () => ({ ok: true }));
        },
        { prefix: '/v2/shops/:shopId' },
      );
    });
    expect((await app.inject('/v2/shops/9/orders/17')).statusCode).toBe(200);
    expect(endpoint(monitor, '/v2/shops/:shopId/orders/:orderId')?.count).toBe(1);
  });

  it('labels routes declared before the plugin, a prefixed plugin\'s root with and without its slash, and each method of a multi-method route', async () => {
    const monitor = monitorForTest();
    const app = Fastify();
    cleanups.push(() => app.close());
    app.get('/early/:id', async () => ({ early: true }));
    await app.register(waiPerformance, { monitor });
    void app.register(
      async (child) => {
        child.get('/', async () => ({ root: true }));
        child.route({ method: ['GET', 'POST'], url: '/both', handler: async () => ({ both: true }) });
      },
      { prefix: '/v1' },
    );
    await app.ready();
    for (const url of ['/early/1', '/v1', '/v1/']) expect((await app.inject(url)).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/both' })).statusCode).toBe(200);
    expect((await app.inject('/v1/both')).statusCode).toBe(200);
    expect(endpoint(monitor, '/early/:id')?.count).toBe(1);
    expect(endpoint(monitor, '/v1')?.count).toBe(2);
    expect(endpoint(monitor, '/v1/both', 'POST')?.count).toBe(1);
    expect(endpoint(monitor, '/v1/both', 'GET')?.count).toBe(1);
    expect(endpoint(monitor, UNMATCHED_ROUTE)).toBeUndefined();
  });

  it('labels requests to a custom 404 handler with a frozen config as unmatched, without failing them', async () => {
    const monitor = monitorForTest();
    const app = await appWith({ monitor }, (instance) => {
      instance.setNotFoundHandler({ config: Object.freeze({ kind: 'not-found' }) } as never, async (_request, reply) => reply.code(404).send({ missing: true }));
    });
    for (let i = 0; i < 2; i++) expect((await app.inject('/nowhere')).json()).toEqual({ missing: true });
    expect(endpoint(monitor, UNMATCHED_ROUTE)?.count).toBe(2);
  });

  it('reads the route config through Fastify\'s context symbol, and through routeOptions where the symbol is missing', async () => {
    const seen: unknown[] = [];
    const app = Fastify();
    cleanups.push(() => app.close());
    app.get('/cfg/:id', { config: { marker: 'route-config' } as never }, async (request) => {
      // Only the request's own symbol-keyed fields, no routeOptions getter: found through the symbol or not at all.
      const symbolsOnly = Object.fromEntries(Object.getOwnPropertySymbols(request).map((key) => [key, (request as unknown as Record<symbol, unknown>)[key]]));
      const viaSymbol = routeConfigReader()(symbolsOnly as unknown as typeof request) as Record<string, unknown> | undefined;
      const withoutSymbol = { routeOptions: request.routeOptions } as unknown as typeof request;
      const viaRouteOptions = routeConfigReader()(withoutSymbol) as Record<string, unknown> | undefined;
      seen.push(viaSymbol?.marker, viaSymbol?.url, viaRouteOptions?.marker, viaSymbol === viaRouteOptions);
      return {};
    });
    await app.inject('/cfg/1');
    // Both paths reach the same per-route object, so the label the plugin keeps on it is found either way.
    expect(seen).toEqual(['route-config', '/cfg/:id', 'route-config', true]);
  });

  it('creates, starts and closes its own monitor when given options', async () => {
    const app = await appWith({ monitor: { systemMetrics: false, defaultAlertRules: false } }, (instance) => {
      instance.get('/ping', async () => 'pong');
    });
    await app.inject('/ping');
    expect(endpoint(app.perf.monitor, '/ping')?.count).toBe(1);
    expect(app.perf.monitor.isRunning).toBe(true);
    await app.close();
    expect(app.perf.monitor.isRunning).toBe(false);
  });
});

describe('caching (config.cache)', () => {
  async function cachedApp(options: Partial<WaiPerformanceOptions> = {}) {
    const calls = { count: 0 };
    const app = await appWith({ monitor: monitorForTest(), cacheStore: createMemoryCacheStore(), cache: { ttl: 60 }, ...options }, (instance) => {
      instance.get('/items/:id', { config: { cache: { tags: ['items'] } } }, async (request, reply) => {
        calls.count++;
        const { variant } = request.query as { variant?: string };
        if (variant === 'cookie') reply.header('set-cookie', 'session=abc');
        if (variant === 'no-store') reply.header('cache-control', 'no-store');
        if (variant === 'private') reply.header('cache-control', 'private, max-age=60');
        if (variant === 'error') reply.code(500);
        return { id: (request.params as { id: string }).id, call: calls.count };
      });
      instance.get('/static', { config: { cache: true } }, async () => {
        calls.count++;
        return { constant: true };
      });
      instance.get('/uncached', async () => {
        calls.count++;
        return { call: calls.count };
      });
      instance.post('/items/:id', async (_request, reply) => {
        await instance.perf.invalidate('items');
        reply.code(201);
        return { saved: true };
      });
    });
    return { app, calls };
  }

  it('goes MISS → HIT with a strong ETag, answers If-None-Match with 304, and serves HEAD from the entry', async () => {
    const { app, calls } = await cachedApp();
    const first = await app.inject('/items/1?b=2&a=1');
    expect(first.headers['x-cache']).toBe('MISS');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    expect(first.json()).toEqual({ id: '1', call: 1 });
    const second = await app.inject('/items/1?a=1&b=2');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers.etag).toBe(etag);
    expect(second.headers['content-type']).toMatch(/json/);
    expect(second.json()).toEqual({ id: '1', call: 1 });
    const conditional = await app.inject({ url: '/items/1?a=1&b=2', headers: { 'if-none-match': etag } });
    expect(conditional.statusCode).toBe(304);
    expect(conditional.headers['x-cache']).toBe('HIT');
    expect(conditional.body).toBe('');
    const head = await app.inject({ method: 'HEAD', url: '/items/1?a=1&b=2' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['x-cache']).toBe('HIT');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(first.body)));
    expect(calls.count).toBe(1);
    expect((await app.inject('/uncached')).headers['x-cache']).toBeUndefined();
  });

  it('runs instance-wide hooks registered after the plugin before serving a cached response', async () => {
    const app = await appWith({ monitor: monitorForTest(), cacheStore: createMemoryCacheStore(), cache: { ttl: 60 } }, (instance) => {
      // An API-key header is not one the cache refuses, nor part of the key: only the hook's order keeps it out.
      instance.addHook('onRequest', async (request, reply) => {
        if (request.headers['x-api-key'] !== 'open-sesame') await reply.code(403).send({ denied: true });
      });
      instance.get('/report', { config: { cache: true } }, async () => ({ report: 1 }));
    });
    const allowed = { url: '/report', headers: { 'x-api-key': 'open-sesame' } };
    expect((await app.inject(allowed)).headers['x-cache']).toBe('MISS');
    expect((await app.inject(allowed)).headers['x-cache']).toBe('HIT');
    const denied = await app.inject({ url: '/report', headers: { 'x-api-key': 'wrong' } });
    expect(denied.statusCode).toBe(403);
    expect(denied.headers['x-cache']).toBeUndefined();
  });

  it('answers a MISS with 304 when the generated ETag matches', async () => {
    const { app } = await cachedApp();
    const first = await app.inject({ url: '/static', headers: { 'cache-control': 'no-cache' } });
    const again = await app.inject({ url: '/static', headers: { 'cache-control': 'no-cache', 'if-none-match': first.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    expect(again.headers['x-cache']).toBe('MISS');
    expect(again.body).toBe('');
  });

  it('caches credentialed requests only when allowed', async () => {
    const { app, calls } = await cachedApp({ cache: { ttl: 60, allowAuthorized: true } });
    await app.inject({ url: '/items/5', headers: { cookie: 'a=1' } });
    expect((await app.inject({ url: '/items/5', headers: { cookie: 'a=1' } })).headers['x-cache']).toBe('HIT');
    expect(calls.count).toBe(1);
  });

  it('honours request no-cache and invalidates tags from write routes via fastify.perf', async () => {
    const { app, calls } = await cachedApp();
    await app.inject('/items/1');
    expect((await app.inject('/items/1')).headers['x-cache']).toBe('HIT');
    const refreshed = await app.inject({ url: '/items/1', headers: { 'cache-control': 'no-cache' } });
    expect(refreshed.headers['x-cache']).toBe('MISS');
    expect(refreshed.json()).toEqual({ id: '1', call: 2 });
    expect((await app.inject('/items/1')).json()).toEqual({ id: '1', call: 2 });
    expect((await app.inject({ method: 'POST', url: '/items/1' })).statusCode).toBe(201);
    expect((await app.inject('/items/1')).headers['x-cache']).toBe('MISS');
    expect(calls.count).toBe(3);
  });

  it('serves STALE within stale-while-revalidate and refreshes in the background', async () => {
    const clock = createFakeClock(Date.now());
    const { app, calls } = await cachedApp({ clock, cacheStore: createMemoryCacheStore({ clock }), cache: { ttl: 10, staleWhileRevalidate: 30 } });
    expect((await app.inject('/items/1')).headers['x-cache']).toBe('MISS');
    clock.advance(15_000);
    const stale = await app.inject('/items/1');
    expect(stale.headers['x-cache']).toBe('STALE');
    expect(stale.json()).toEqual({ id: '1', call: 1 });
    await eventually(() => calls.count === 2);
    await eventually(async () => {
      const response = await app.inject('/items/1');
      return response.headers['x-cache'] === 'HIT' && response.json().call === 2;
    });
    clock.advance(60_000);
    expect((await app.inject('/items/1')).headers['x-cache']).toBe('MISS');
  });
});

describe('rate limiting (config.rateLimit)', () => {
  it('answers 429 with headers and a JSON body, honours per-route config and exempts /health', async () => {
    const monitor = monitorForTest();
    const app = await appWith({ monitor, rateLimit: { max: 2, windowMs: 60_000 } }, (instance) => {
      instance.get('/health', async () => 'ok');
      instance.get('/x', async () => 'x');
      instance.get('/strict', { config: { rateLimit: { max: 1 } } }, async () => 'strict');
      instance.get('/free', { config: { rateLimit: false } }, async () => 'free');
    });
    const first = await app.inject('/x');
    expect(first.headers['ratelimit-limit']).toBe('2');
    expect(first.headers['ratelimit-remaining']).toBe('1');
    await app.inject('/x');
    const limited = await app.inject('/x');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(limited.json()).toMatchObject({ error: { code: 'E_RATE_LIMITED' } });
    expect((await app.inject('/strict')).statusCode).toBe(200);
    expect((await app.inject('/strict')).statusCode).toBe(429);
    for (let index = 0; index < 4; index++) {
      expect((await app.inject('/health')).statusCode).toBe(200);
      expect((await app.inject('/free')).statusCode).toBe(200);
    }
    expect(monitor.getCurrentMetrics().rateLimit).toMatchObject({ allowed: 3, limited: 2 });
  });

  it('shrinks the limit under injected stress and recovers (AIMD)', async () => {
    const clock = createFakeClock(Date.now());
    let signal = calm;
    const app = await appWith(
      { monitor: monitorForTest(), clock, loadSignal: () => signal, rateLimit: { max: 8, windowMs: 100, adaptive: { minDwellMs: 0, evaluateIntervalMs: 1000, decreaseFactor: 0.5, increaseStep: 0.25 } } },
      (instance) => instance.get('/x', async () => 'x'),
    );
    const trace = await adaptiveLimitTrace({
      limitNow: async () => Number((await app.inject('/x')).headers['ratelimit-limit']),
      stress: (on) => {
        signal = on ? { ...calm, healthScore: 20, errorRate: 0.4 } : calm;
        if (on) return;
        expect(app.perf.limiter?.adaptive?.state).toBe('stressed');
      },
      advance: (ms) => clock.advance(ms),
    });
    expect(trace).toEqual([8, 4, 2, 4, 6, 8, 8]);
    expect(app.perf.limiter?.adaptive?.state).toBe('normal');
  });

  it('sheds requests beyond the concurrency limit with 503', async () => {
    const app = await appWith({ monitor: monitorForTest(), rateLimit: { max: 100, concurrency: { max: 1, retryAfterSeconds: 3 } } }, (instance) => {
      instance.get('/slow', (_request, reply) => void setTimeout(() => reply.send('done'), 200));
    });
    const slow = app.inject('/slow');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const shed = await app.inject('/slow');
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('3');
    expect(shed.json()).toMatchObject({ error: { code: 'E_OVERLOADED' } });
    expect((await slow).statusCode).toBe(200);
    expect((await app.inject('/slow')).statusCode).toBe(200);
  });

  it('shares one limit between two listening app instances through Redis', async () => {
    const redis = await testRedis('fastify-rate-limit');
    cleanups.push(() => redis.close());
    const store = createTestRedisRateLimitStore(redis.client, redis.prefix);
    const start = async (instance: number) => {
      const app = await appWith({ monitor: monitorForTest(), rateLimit: { max: 3, windowMs: 60_000, store } }, (server) => {
        server.get('/x', async () => `instance ${instance}`);
      });
      return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() };
    };
    expect(await sharedLimitStatuses(start)).toEqual([200, 200, 200, 429, 429]);
  });
});

describe('profiling', () => {
  it('captures one rate-limited profile when a route turns slow', async () => {
    const monitor = monitorForTest();
    const profiles: string[] = [];
    const app = await appWith({ monitor, serverTiming: true, profiling: { slowRequestMs: 20, durationMs: 50, onProfile: (summary) => profiles.push(summary.reason) } }, (instance) => {
      instance.get('/report', async () => {
        const until = performance.now() + 30;
        while (performance.now() < until); // CPU-bound on purpose
        return { report: true };
      });
    });
    await app.inject('/report');
    await eventually(() => profiles.length === 1, 5000);
    expect(profiles[0]).toMatch(/slow route GET \/report/);
    await app.inject('/report');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(monitor.getProfiles()).toHaveLength(1);
  });
});
