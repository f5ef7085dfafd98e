import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import {
  NotFoundError,
  createPerformanceMonitor,
  type Analyzer,
  type CacheAdmin,
  type CacheAnalytics,
  type PerformanceMonitor,
  type PerformanceMonitorOptions,
  type WarmingResult,
} from '@wai/metrics-core';
import { attachLiveUpdates, createDashboardRouter, dashboardApi, type DashboardApiOptions, type DashboardDecorator, type LiveHub } from '../src/index.js';

/** A small CacheAdmin over a Map (our own interface), with tags and two warming strategies. */
export interface MapCache extends CacheAdmin {
  entries: Map<string, { value: unknown; tags: string[] }>;
  /** A read that counts a hit or miss (what the app would do). */
  read(key: string): unknown;
}

export function createMapCache(): MapCache {
  const entries = new Map<string, { value: unknown; tags: string[] }>();
  let hits = 0;
  let misses = 0;
  const strategies = [
    { name: 'popular', description: 'popular workshops', enabled: true, priority: 1, keys: ['workshop:popular:1', 'workshop:popular:2'] },
    { name: 'users', description: 'recent users', enabled: true, priority: 2, keys: ['user:1:profile'] },
  ];
  const run = (strategy: (typeof strategies)[number]): WarmingResult => {
    for (const key of strategy.keys) entries.set(key, { value: { warmed: true }, tags: [strategy.name] });
    return { strategy: strategy.name, keysWarmed: strategy.keys.length, durationMs: 0, errors: [] };
  };
  return {
    entries,
    read(key: string) {
      const entry = entries.get(key);
      if (entry) hits += 1;
      else misses += 1;
      return entry?.value;
    },
    getAnalytics(): CacheAnalytics {
      const total = hits + misses;
      return { hits, misses, hitRate: total === 0 ? 0 : hits / total, tiers: { l1: { hits, misses, hitRate: total === 0 ? 0 : hits / total, errors: 0, size: entries.size } } };
    },
    async warm(name?: string) {
      if (name === undefined) return strategies.filter((s) => s.enabled).map(run);
      const strategy = strategies.find((s) => s.name === name);
      if (!strategy) throw new NotFoundError(`[wai:test] no warming strategy "${name}"`);
      return [run(strategy)];
    },
    listWarmingStrategies: () => strategies.map(({ name, description, enabled, priority }) => ({ name, description, enabled, priority })),
    async delete(key: string) {
      return entries.delete(key);
    },
    async invalidateByTag(tag: string) {
      for (const [key, entry] of entries) if (entry.tags.includes(tag)) entries.delete(key);
    },
    async clear() {
      entries.clear();
    },
  };
}

/** An analyzer that reports endpoints slower than `p95Ms` as bottlenecks, with a recommendation. */
export function slowEndpointAnalyzer(p95Ms = 200): Analyzer {
  return {
    name: 'test-slow-endpoints',
    analyze({ snapshot, now }) {
      const slow = snapshot.endpoints.filter((e) => e.responseTime.p95 > p95Ms);
      return {
        bottlenecks: slow.map((e) => ({
          id: `slow:${e.method} ${e.route}`,
          kind: 'slow_endpoint',
          severity: e.responseTime.p95 > 1000 ? ('critical' as const) : ('warning' as const),
          title: `${e.method} ${e.route} is slow`,
          detail: `p95 ${Math.round(e.responseTime.p95)} ms over ${e.count} requests`,
          evidence: { p95Ms: e.responseTime.p95, count: e.count },
          impact: `${Math.round(e.count * e.responseTime.avg)} ms of request time per minute`,
          route: e.route,
          firstSeen: now,
          lastSeen: now,
        })),
        recommendations: slow.map((e) => ({
          id: `cache:${e.method} ${e.route}`,
          kind: 'enable_caching',
          severity: 'info' as const,
          title: `Cache ${e.route}`,
          detail: 'Responses are slow and repeat often.',
          evidence: { p95Ms: e.responseTime.p95 },
          impact: 'most of its latency',
          action: `Add intelligentCache({ ttl: 60 }) to ${e.method} ${e.route}`,
          expectedEffect: `p95 ${Math.round(e.responseTime.p95)} ms → under 20 ms on hits`,
        })),
      };
    },
  };
}

export function createTestMonitor(options: PerformanceMonitorOptions = {}): PerformanceMonitor {
  return createPerformanceMonitor({ interval: 60_000, thresholds: { responseTimeMs: 500, forMs: 0 }, ...options });
}

export type Framework = 'fastify' | 'express';

export interface Mount {
  framework: Framework;
  baseUrl: string;
  wsUrl: string;
  hub: LiveHub | undefined;
  close(): Promise<void>;
}

function address(server: Server): { baseUrl: string; wsUrl: string } {
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` };
}

/** Starts the dashboard on a real HTTP server with one framework, plus a tracked app route. */
export async function mount(framework: Framework, options: DashboardApiOptions): Promise<Mount> {
  const { monitor } = options;
  if (framework === 'fastify') {
    const app: FastifyInstance = Fastify();
    app.addHook('onResponse', async (request, reply) => {
      if (request.routeOptions.url?.startsWith('/api/workshops')) monitor.trackEndpoint(request.routeOptions.url, reply.elapsedTime, reply.statusCode, request.method);
    });
    app.get('/api/workshops/:id', async () => ({ ok: true }));
    await app.register(dashboardApi, options);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { framework, ...address(app.server), hub: app.getDecorator<DashboardDecorator>('waiDashboard').live, close: () => app.close() };
  }
  const app = express();
  app.get('/api/workshops/:id', (request, response) => {
    const started = performance.now();
    response.on('finish', () => monitor.trackEndpoint('/api/workshops/:id', performance.now() - started, response.statusCode, request.method));
    response.json({ ok: true });
  });
  app.use(createDashboardRouter(options));
  const server = createServer(app);
  const live = options.live === false ? undefined : attachLiveUpdates(server, options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    framework,
    ...address(server),
    hub: live?.hub,
    close: async () => {
      await live?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface HttpResult {
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function request(baseUrl: string, method: string, path: string, init: { headers?: Record<string, string>; body?: string | object } = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), headers: response.headers, text, json };
}

/** Opens a WebSocket; resolves with the socket once open, or with the HTTP status that refused it. */
export function openSocket(url: string, options: { headers?: Record<string, string>; protocols?: string[]; autoPong?: boolean } = {}): Promise<{ socket?: WebSocket; status?: number; messages: Array<Record<string, unknown>> }> {
  return new Promise((resolve, reject) => {
    const messages: Array<Record<string, unknown>> = [];
    const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {}, autoPong: options.autoPong ?? true });
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, messages });
      socket.terminate();
    });
    socket.once('error', (error) => {
      if (socket.readyState !== WebSocket.CLOSED) reject(error);
    });
  });
}

export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
