import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, type Logger, type PerformanceMonitor } from '@wai/metrics-core';
import { createTokenCheck, resolveOptions } from '../src/index.js';
import { createMapCache, createTestMonitor, mount, request, type Framework, type Mount } from './helpers.js';

const P = '/api/performance/enhanced';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (_object: unknown, message?: string) => warnings.push(String(message)) };
}

describe.each(['fastify', 'express'] as const)('auth on %s', (framework: Framework) => {
  let current: Mount | undefined;
  let monitor: PerformanceMonitor | undefined;
  const saved = process.env.PERFORMANCE_DASHBOARD_TOKEN;

  afterEach(async () => {
    await current?.close();
    await monitor?.close();
    current = undefined;
    if (saved === undefined) delete process.env.PERFORMANCE_DASHBOARD_TOKEN;
    else process.env.PERFORMANCE_DASHBOARD_TOKEN = saved;
  });

  async function start(options: Record<string, unknown>) {
    monitor = createTestMonitor();
    current = await mount(framework, { monitor, cache: createMapCache(), ...options });
    return current;
  }

  it('without a token outside production, mutating routes are open', async () => {
    delete process.env.PERFORMANCE_DASHBOARD_TOKEN;
    const logger = recordingLogger();
    const { baseUrl } = await start({ environment: 'development', logger });
    expect((await request(baseUrl, 'POST', `${P}/cache/invalidate`, { body: { all: true } })).status).toBe(200);
    expect((await request(baseUrl, 'POST', `${P}/monitoring/start`)).status).toBe(200);
    expect(logger.warnings.some((w) => w.includes('open'))).toBe(true);
  });

  it('in production without a token, mutating routes are not mounted and a warning is logged', async () => {
    delete process.env.PERFORMANCE_DASHBOARD_TOKEN;
    const logger = recordingLogger();
    const { baseUrl } = await start({ environment: 'production', logger });
    for (const path of ['cache/invalidate', 'cache/warm', 'monitoring/start', 'monitoring/stop']) {
      expect((await request(baseUrl, 'POST', `${P}/${path}`, { body: { all: true } })).status, path).toBe(404);
    }
    expect((await request(baseUrl, 'GET', `${P}/profile?id=x`)).status).toBe(404);
    expect((await request(baseUrl, 'GET', `${P}/dashboard`)).status).toBe(200);
    expect(monitor!.isRunning).toBe(false);
    expect(logger.warnings.some((w) => w.includes('not mounted'))).toBe(true);
  });

  it('takes the token from PERFORMANCE_DASHBOARD_TOKEN', async () => {
    process.env.PERFORMANCE_DASHBOARD_TOKEN = 'from-env';
    const { baseUrl } = await start({ environment: 'production' });
    expect((await request(baseUrl, 'POST', `${P}/monitoring/start`)).status).toBe(401);
    expect((await request(baseUrl, 'POST', `${P}/monitoring/start`, { headers: { authorization: 'Bearer from-env' } })).status).toBe(200);
  });

  it('publicReads: false puts read routes behind the token, but not health', async () => {
    const { baseUrl } = await start({ token: 'reader', publicReads: false });
    for (const path of [`${P}/dashboard`, `${P}/metrics`, `${P}/history?metric=error_rate`, '/metrics']) {
      const refused = await request(baseUrl, 'GET', path);
      expect(refused.status, path).toBe(401);
      expect(refused.json).toMatchObject({ error: { code: 'E_UNAUTHORIZED' } });
      expect((await request(baseUrl, 'GET', path, { headers: { authorization: 'Bearer reader' } })).status, path).toBe(200);
    }
    expect((await request(baseUrl, 'GET', `${P}/health`)).status).toBe(200);
    expect((await request(baseUrl, 'GET', `${P}/`)).status).toBe(200); // the page itself holds no data
  });

  it('health answers 503 without a token when unhealthy', async () => {
    const { baseUrl } = await start({ token: 'secret' });
    for (let i = 0; i < 200; i += 1) monitor!.trackEndpoint('/api/broken', 5000, 503, 'GET');
    const result = await request(baseUrl, 'GET', `${P}/health`);
    expect(result.status).toBe(503);
    expect(result.json).toMatchObject({ status: 'unhealthy' });
  });

  it('a token in another scheme or with junk is refused', async () => {
    const { baseUrl } = await start({ token: 'secret' });
    for (const authorization of ['secret', 'Basic secret', 'Bearer secret extra', 'Bearer secre', 'Bearer secrett']) {
      expect((await request(baseUrl, 'POST', `${P}/monitoring/stop`, { headers: { authorization } })).status, authorization).toBe(401);
    }
  });
});

describe('token check and options', () => {
  it('compares tokens of any length without throwing', () => {
    const check = createTokenCheck('s3cret');
    expect(check('s3cret')).toBe(true);
    expect(check('s3cre')).toBe(false);
    expect(check('s3cret-and-much-longer')).toBe(false);
    expect(check(undefined)).toBe(false);
    expect(createTokenCheck(undefined)(undefined)).toBe(true);
  });

  it('rejects bad options with a ConfigError naming the option', () => {
    const monitor = createTestMonitor();
    expect(() => resolveOptions({} as never)).toThrow(ConfigError);
    expect(() => resolveOptions({ monitor, liveInterval: 0 })).toThrow(/liveInterval/);
    expect(() => resolveOptions({ monitor, prefix: 'api' })).toThrow(/prefix/);
    expect(resolveOptions({ monitor, prefix: '/ops/' }).prefix).toBe('/ops');
    void monitor.close();
  });
});

describe('Express with express.json() in front of the router', () => {
  it('uses the parsed body and still applies the schemas and prototype checks', async () => {
    const { createServer } = await import('node:http');
    const express = (await import('express')).default;
    const { createDashboardRouter } = await import('../src/index.js');
    const monitor = createTestMonitor();
    const cache = createMapCache();
    cache.entries.set('a', { value: 1, tags: [] });
    const app = express();
    app.use(express.json());
    app.use(createDashboardRouter({ monitor, cache, token: 't' }));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const headers = { authorization: 'Bearer t' };
      expect((await request(baseUrl, 'POST', `${P}/cache/invalidate`, { headers, body: { key: 'a', tag: 'b' } })).status).toBe(400);
      expect((await request(baseUrl, 'POST', `${P}/cache/invalidate`, { headers, body: '{"key":"a","__proto__":{"x":1}}' })).status).toBe(400);
      const ok = await request(baseUrl, 'POST', `${P}/cache/invalidate`, { headers, body: { key: 'a' } });
      expect(ok.json).toEqual({ invalidated: 'key', key: 'a', deleted: true });
      expect((await request(baseUrl, 'POST', `${P}/monitoring/start`, { headers })).status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await monitor.close();
    }
  });
});

describe('Fastify with ignoreTrailingSlash', () => {
  it('serves the page at the prefix with and without the slash (no duplicate route)', async () => {
    const Fastify = (await import('fastify')).default;
    const { dashboardApi } = await import('../src/index.js');
    const monitor = createTestMonitor();
    const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
    await app.register(dashboardApi, { monitor, live: false });
    for (const url of [P, `${P}/`]) expect((await app.inject({ url })).statusCode, url).toBe(200);
    await app.close();
    await monitor.close();
  });
});
