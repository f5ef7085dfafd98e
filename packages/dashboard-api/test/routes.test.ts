import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PerformanceMonitor } from '@wai/metrics-core';
import { PROMETHEUS_CONTENT_TYPE } from '../src/index.js';
import { createMapCache, createTestMonitor, mount, request, slowEndpointAnalyzer, type Framework, type HttpResult, type MapCache, type Mount } from './helpers.js';

const TOKEN = 'test-token-6f1c';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const P = '/api/performance/enhanced';

interface Setup {
  mount: Mount;
  monitor: PerformanceMonitor;
  cache: MapCache;
  profileId: string;
}

/** The same traffic, findings and cache contents behind each mount. */
async function prepare(framework: Framework): Promise<Setup> {
  const monitor = createTestMonitor();
  monitor.use(slowEndpointAnalyzer(200));
  const cache = createMapCache();
  monitor.addCacheSource('main', cache);
  for (let i = 0; i < 50; i += 1) {
    monitor.trackEndpoint('/api/workshops/:id', 20 + (i % 10), 200, 'GET');
    monitor.trackEndpoint('/api/reports', 900 + i, i % 10 === 0 ? 500 : 200, 'GET');
  }
  cache.entries.set('user:1:profile', { value: 1, tags: ['user'] });
  cache.entries.set('user:2:profile', { value: 2, tags: ['user'] });
  cache.read('user:1:profile');
  cache.read('missing');
  await monitor.sample();
  const profile = await monitor.captureProfile({ durationMs: 30, reason: 'test' });
  const started = await mount(framework, { monitor, cache, token: TOKEN });
  return { mount: started, monitor, cache, profileId: profile.id };
}

interface Case {
  name: string;
  method: 'GET' | 'POST';
  path: string | ((setup: Setup) => string);
  headers?: Record<string, string>;
  body?: string | object;
  status: number;
  /** Expected error code (for 4xx). */
  code?: string;
  check?: (result: HttpResult, setup: Setup) => void;
  /** Bodies that are identical on both mounts (no timestamps or memory figures). */
  sameBody?: boolean;
}

const big = JSON.stringify({ key: 'x'.repeat(20_000) });

const CASES: Case[] = [
  // ── read routes (public reads by default) ──
  {
    name: 'GET dashboard has the guide shape',
    method: 'GET',
    path: `${P}/dashboard`,
    status: 200,
    check: ({ json }) => {
      const body = json as Record<string, any>;
      expect(Object.keys(body).sort()).toEqual(['alerts', 'bottlenecks', 'cache', 'keyMetrics', 'overview', 'recommendations']);
      expect(Object.keys(body.overview).sort()).toEqual(['healthScore', 'lastUpdated', 'status']);
      expect(Object.keys(body.keyMetrics).sort()).toEqual(['cacheHitRate', 'errorRate', 'memoryUsage', 'requestsPerSecond', 'responseTime']);
      expect(body.keyMetrics.cacheHitRate).toBe(50); // one hit, one miss, in percent
      expect(body.keyMetrics.errorRate).toBeCloseTo(5 / 100, 4); // 5 of 100 requests
      expect(body.keyMetrics.memoryUsage).toBeGreaterThan(0);
      expect(body.keyMetrics.memoryUsage).toBeLessThan(100);
      expect(body.keyMetrics.requestsPerSecond).toBeGreaterThan(0);
      expect(body.alerts.active).toBeGreaterThanOrEqual(1); // p95 of /api/reports > 500 ms
      expect(body.alerts.recent.some((a: { type: string }) => a.type === 'response_time')).toBe(true);
      expect(body.bottlenecks).toMatchObject({ count: 1, critical: 0 });
      expect(body.bottlenecks.top3[0].title).toBe('GET /api/reports is slow');
      expect(body.recommendations[0].action).toContain('/api/reports');
      expect(body.cache.hits).toBe(1);
      expect(new Date(body.overview.lastUpdated).getTime()).toBeGreaterThan(0);
    },
  },
  {
    name: 'GET health answers without a token',
    method: 'GET',
    path: `${P}/health`,
    status: 200,
    check: ({ json }) => expect(['healthy', 'degraded']).toContain((json as { status: string }).status),
  },
  {
    name: 'GET metrics is the snapshot',
    method: 'GET',
    path: `${P}/metrics`,
    status: 200,
    check: ({ json }) => {
      const body = json as { requestCount: number; endpoints: Array<{ route: string }> };
      expect(body.requestCount).toBe(100);
      expect(body.endpoints.map((e) => e.route).sort()).toEqual(['/api/reports', '/api/workshops/:id']);
    },
  },
  {
    name: 'GET bottlenecks',
    method: 'GET',
    path: `${P}/bottlenecks`,
    status: 200,
    check: ({ json }) => expect((json as { count: number }).count).toBe(1),
  },
  {
    name: 'GET recommendations',
    method: 'GET',
    path: `${P}/recommendations`,
    status: 200,
    check: ({ json }) => expect((json as { recommendations: Array<{ kind: string }> }).recommendations[0]?.kind).toBe('enable_caching'),
  },
  {
    name: 'GET analytics',
    method: 'GET',
    path: `${P}/analytics`,
    status: 200,
    check: ({ json }) => {
      const body = json as { cache: { hits: number }; caches: Record<string, unknown>; endpoints: Array<{ route: string }> };
      expect(body.cache.hits).toBe(1);
      expect(Object.keys(body.caches)).toEqual(['main']);
      expect(body.endpoints[0]?.route).toBeDefined();
    },
  },
  {
    name: 'GET history returns points from the monitor',
    method: 'GET',
    path: `${P}/history?metric=requests_per_second&from=0&step=1000`,
    status: 200,
    check: ({ json }) => {
      const body = json as { metric: string; from: number; step: number; points: Array<{ t: number; v: number }> };
      expect(body).toMatchObject({ metric: 'requests_per_second', from: 0, step: 1000 });
      expect(body.points.length).toBe(1);
      expect(body.points[0]!.v).toBeGreaterThan(0);
    },
  },
  {
    name: 'GET history per route',
    method: 'GET',
    path: `${P}/history?metric=latency_p95&route=${encodeURIComponent('GET /api/reports')}`,
    status: 200,
    check: ({ json }) => expect((json as { points: Array<{ v: number }> }).points[0]!.v).toBeGreaterThan(500),
  },
  {
    name: 'GET profile lists captured profiles',
    method: 'GET',
    path: `${P}/profile`,
    status: 200,
    check: ({ json }, setup) => expect((json as { profiles: Array<{ id: string }> }).profiles.map((p) => p.id)).toEqual([setup.profileId]),
  },
  { name: 'GET profile?id= needs the token', method: 'GET', path: (s) => `${P}/profile?id=${s.profileId}`, status: 401, code: 'E_UNAUTHORIZED', sameBody: true },
  {
    name: 'GET profile?id= downloads a .cpuprofile',
    method: 'GET',
    path: (s) => `${P}/profile?id=${s.profileId}`,
    headers: AUTH,
    status: 200,
    check: ({ json, contentType, headers }, setup) => {
      expect(contentType).toContain('application/json');
      expect(headers.get('content-disposition')).toBe(`attachment; filename="${setup.profileId}.cpuprofile"`);
      expect(Array.isArray((json as { nodes: unknown[] }).nodes)).toBe(true);
    },
  },
  {
    name: 'GET profile/:id downloads a .cpuprofile',
    method: 'GET',
    path: (s) => `${P}/profile/${s.profileId}`,
    headers: AUTH,
    status: 200,
    check: ({ json }) => expect((json as { nodes: unknown[] }).nodes.length).toBeGreaterThan(0),
  },
  { name: 'GET profile/:id needs the token', method: 'GET', path: (s) => `${P}/profile/${s.profileId}`, status: 401, code: 'E_UNAUTHORIZED', sameBody: true },
  { name: 'GET profile?id= unknown is 404', method: 'GET', path: `${P}/profile?id=nope`, headers: AUTH, status: 404, code: 'E_NOT_FOUND', sameBody: true },
  {
    name: 'GET /metrics is Prometheus text',
    method: 'GET',
    path: '/metrics',
    status: 200,
    check: ({ contentType, text }) => {
      expect(contentType).toBe(PROMETHEUS_CONTENT_TYPE);
      expect(text).toContain('# TYPE');
    },
  },
  { name: 'GET the page', method: 'GET', path: `${P}/`, status: 200, check: ({ text, contentType }) => {
    expect(contentType).toBe('text/html; charset=utf-8');
    expect(text).toContain(`${P}/assets/uplot.js`);
    expect(text).toContain('"tokenRequired":true');
  } },
  { name: 'GET the page without the slash redirects', method: 'GET', path: P, status: 302 },
  { name: 'GET uPlot from the installed package', method: 'GET', path: `${P}/assets/uplot.js`, status: 200, check: ({ text, contentType }) => {
    expect(contentType).toBe('text/javascript; charset=utf-8');
    expect(text).toContain('uPlot');
  } },
  { name: 'GET the page script', method: 'GET', path: `${P}/assets/dashboard.js`, status: 200, check: ({ text }) => expect(text).toContain('wai-config') },
  { name: 'GET an unknown asset is 404', method: 'GET', path: `${P}/assets/..%2Fpackage.json`, status: 404, code: 'E_NOT_FOUND', sameBody: true },

  // ── mutating routes ──
  { name: 'POST cache/warm needs the token', method: 'POST', path: `${P}/cache/warm`, status: 401, code: 'E_UNAUTHORIZED', sameBody: true },
  { name: 'POST cache/warm with a wrong token', method: 'POST', path: `${P}/cache/warm`, headers: { authorization: 'Bearer wrong' }, status: 401, code: 'E_UNAUTHORIZED', sameBody: true },
  {
    name: 'POST cache/warm runs every strategy',
    method: 'POST',
    path: `${P}/cache/warm`,
    headers: AUTH,
    status: 200,
    sameBody: true,
    check: ({ json }, setup) => {
      expect((json as { results: Array<{ strategy: string }> }).results.map((r) => r.strategy)).toEqual(['popular', 'users']);
      expect(setup.cache.entries.has('workshop:popular:1')).toBe(true);
    },
  },
  { name: 'POST cache/warm?strategy=popular', method: 'POST', path: `${P}/cache/warm?strategy=popular`, headers: AUTH, status: 200, sameBody: true },
  { name: 'POST cache/warm with an unknown strategy is 404', method: 'POST', path: `${P}/cache/warm?strategy=nope`, headers: AUTH, status: 404, code: 'E_NOT_FOUND', sameBody: true },
  { name: 'POST cache/warm with an unknown query field', method: 'POST', path: `${P}/cache/warm?strategy=popular&force=1`, headers: AUTH, status: 400, code: 'E_VALIDATION', sameBody: true },
  {
    name: 'POST cache/invalidate a key',
    method: 'POST',
    path: `${P}/cache/invalidate`,
    headers: AUTH,
    body: { key: 'user:1:profile' },
    status: 200,
    sameBody: true,
    check: ({ json }, setup) => {
      expect(json).toEqual({ invalidated: 'key', key: 'user:1:profile', deleted: true });
      expect(setup.cache.entries.has('user:1:profile')).toBe(false);
    },
  },
  {
    name: 'POST cache/invalidate a tag',
    method: 'POST',
    path: `${P}/cache/invalidate`,
    headers: AUTH,
    body: { tag: 'user' },
    status: 200,
    sameBody: true,
    check: (_result, setup) => expect(setup.cache.entries.has('user:2:profile')).toBe(false),
  },
  {
    name: 'POST cache/invalidate all',
    method: 'POST',
    path: `${P}/cache/invalidate`,
    headers: AUTH,
    body: { all: true },
    status: 200,
    sameBody: true,
    check: (_result, setup) => expect(setup.cache.entries.size).toBe(0),
  },
  { name: 'POST cache/invalidate needs the token', method: 'POST', path: `${P}/cache/invalidate`, body: { all: true }, status: 401, code: 'E_UNAUTHORIZED', sameBody: true },

  // ── schema rejections ──
  { name: 'invalidate: wrong type', method: 'POST', path: `${P}/cache/invalidate`, headers: AUTH, body: { key: 123 }, status: 400, code: 'E_VALIDATION', sameBody: true },
  { name: 'invalidate: both key and tag', method: 'POST', path: `${P}/cache/invalidate`, headers: AUTH, body: { key: 'a', tag: 'b' }, status: 400, code: 'E_VALIDATION', sameBody: true,
    check: ({ json }) => expect((json as { error: { message: string } }).error.message).toContain('exactly one') },
  { name: 'invalidate: extra field', method: 'POST', path: `${P}/cache/invalidate`, headers: AUTH, body: { key: 'a', force: true }, status: 400, code: 'E_VALIDATION', sameBody: true,
    check: ({ json }) => expect((json as { error: { message: string } }).error.message).toContain('unknown field "force"') },
  { name: 'invalidate: all must be true', method: 'POST', path: `${P}/cache/invalidate`, headers: AUTH, body: { all: false }, status: 400, code: 'E_VALIDATION', sameBody: true },
  { name: 'invalidate: empty object', method: 'POST', path: `${P}/cache/invalidate`, headers: AUTH, body: {}, status: 400, code: 'E_VALIDATION', sameBody: true },
  { name: 'invalidate: no body', method: 'POST', path: `${P}/cache/invalidate`, headers: AUTH, status: 400, code: 'E_VALIDATION', sameBody: true },
  { name: 'invalidate: __proto__ key', method: 'POST', path: `${P}/cache/invalidate`, headers: AUTH, body: '{"key":"a","__proto__":{"polluted":true}}', status: 400, code: 'E_VALIDATION', sameBody: true,
    check: () => expect(({} as Record<string, unknown>).polluted).toBeUndefined() },
  { name: 'invalidate: constructor.prototype key', method: 'POST', path: `${P}/cache/invalidate`, headers: AUTH, body: '{"key":"a","constructor":{"prototype":{"polluted":true}}}', status: 400, code: 'E_VALIDATION', sameBody: true },
  { name: 'invalidate: body over the size limit', method: 'POST', path: `${P}/cache/invalidate`, headers: AUTH, body: big, status: 413, code: 'E_PAYLOAD_TOO_LARGE', sameBody: true },
  { name: 'invalidate: not JSON', method: 'POST', path: `${P}/cache/invalidate`, headers: AUTH, body: '{"key":', status: 400, code: 'E_VALIDATION', sameBody: true },
  { name: 'invalidate: text/plain body', method: 'POST', path: `${P}/cache/invalidate`, headers: { ...AUTH, 'content-type': 'text/plain' }, body: 'key=a', status: 415, code: 'E_UNSUPPORTED_MEDIA_TYPE', sameBody: true },
  { name: 'dashboard: unknown query field', method: 'GET', path: `${P}/dashboard?debug=1`, status: 400, code: 'E_VALIDATION', sameBody: true },
  { name: 'history: metric missing', method: 'GET', path: `${P}/history`, status: 400, code: 'E_VALIDATION', sameBody: true },
  { name: 'history: from is not a number', method: 'GET', path: `${P}/history?metric=error_rate&from=yesterday`, status: 400, code: 'E_VALIDATION', sameBody: true },
  { name: 'history: from after to', method: 'GET', path: `${P}/history?metric=error_rate&from=20&to=10`, status: 400, code: 'E_VALIDATION', sameBody: true },
  { name: 'history: bad metric name', method: 'GET', path: `${P}/history?metric=${encodeURIComponent('a b<')}`, status: 400, code: 'E_VALIDATION', sameBody: true },

  // ── monitoring ──
  { name: 'POST monitoring/start', method: 'POST', path: `${P}/monitoring/start`, headers: AUTH, status: 200, sameBody: true, check: ({ json }, setup) => {
    expect(json).toEqual({ running: true });
    expect(setup.monitor.isRunning).toBe(true);
  } },
  { name: 'POST monitoring/stop', method: 'POST', path: `${P}/monitoring/stop`, headers: AUTH, status: 200, sameBody: true, check: ({ json }) => expect(json).toEqual({ running: false }) },
  { name: 'POST monitoring/stop with an unknown body field', method: 'POST', path: `${P}/monitoring/stop`, headers: AUTH, body: { now: true }, status: 400, code: 'E_VALIDATION', sameBody: true },
  { name: 'POST monitoring/start needs the token', method: 'POST', path: `${P}/monitoring/start`, status: 401, code: 'E_UNAUTHORIZED', sameBody: true },
];

describe('every route on Fastify and Express (one table, same responses)', () => {
  const setups = {} as Record<Framework, Setup>;

  beforeAll(async () => {
    setups.fastify = await prepare('fastify');
    setups.express = await prepare('express');
  });
  afterAll(async () => {
    for (const setup of Object.values(setups)) {
      await setup.mount.close();
      await setup.monitor.close();
    }
  });

  for (const testCase of CASES) {
    it(testCase.name, async () => {
      const results = {} as Record<Framework, HttpResult>;
      for (const framework of ['fastify', 'express'] as const) {
        const setup = setups[framework];
        const path = typeof testCase.path === 'function' ? testCase.path(setup) : testCase.path;
        const init: { headers?: Record<string, string>; body?: string | object } = {};
        if (testCase.headers) init.headers = testCase.headers;
        if (testCase.body !== undefined) init.body = testCase.body;
        const result = await request(setup.mount.baseUrl, testCase.method, path, init);
        expect(result.status, `${framework}: ${result.text.slice(0, 300)}`).toBe(testCase.status);
        if (testCase.code) {
          expect(result.json, framework).toMatchObject({ error: { code: testCase.code } });
          expect(Object.keys(result.json as object)).toEqual(['error']);
          expect(Object.keys((result.json as { error: object }).error).sort()).toEqual(['code', 'message']);
          expect(result.text).not.toMatch(/\bat .+:\d+:\d+/); // never a stack trace
        }
        testCase.check?.(result, setup);
        results[framework] = result;
      }
      expect(results.express.contentType).toBe(results.fastify.contentType);
      if (testCase.sameBody) expect(results.express.json).toEqual(results.fastify.json);
      else if (testCase.status === 200 && results.fastify.json !== undefined) {
        // Same shape: live figures (timestamps, memory) differ between the two monitors.
        expect(Object.keys(results.express.json as object).sort()).toEqual(Object.keys(results.fastify.json as object).sort());
      }
    });
  }

  it('/metrics passes promtool check metrics', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'wai-dashboard-'));
    try {
      for (const framework of ['fastify', 'express'] as const) {
        const { text } = await request(setups[framework].mount.baseUrl, 'GET', '/metrics');
        const file = join(directory, `${framework}.prom`);
        writeFileSync(file, text);
        // promtool exits non-zero and prints the problem when the exposition is invalid.
        execFileSync('/bin/sh', ['-c', `promtool check metrics < "${file}"`], { stdio: 'pipe' });
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
