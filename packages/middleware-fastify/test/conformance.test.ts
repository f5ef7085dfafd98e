import { createPerformanceMonitor } from '@wai/metrics-core';
import { createMemoryCacheStore } from '@wai/metrics-core/http';
import { HTTP_CONFORMANCE_CASES, runConformanceCase, type ConformanceTarget } from '@wai/metrics-core/http/testing';
import Fastify, { type RouteHandlerMethod } from 'fastify';
import { describe, expect, it } from 'vitest';
import { waiPerformance } from '../src/index.js';
import { listenOnLoopback } from './cache-tests-proxy.js';

/**
 * The plugin with one catch-all cached route (every method), as the shared table expects; with a rate limit,
 * the plugin's `rateLimit`, and the table's per-route limits as routes with their own `config.rateLimit`.
 */
const fastifyTarget: ConformanceTarget = async ({ clock, handler, options, rateLimit }) => {
  const app = Fastify();
  const monitor = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false });
  const { routes = {}, ...global } = rateLimit ?? {};
  await app.register(waiPerformance, { monitor, clock, cacheStore: createMemoryCacheStore({ clock }), cache: options, ...(rateLimit ? { rateLimit: global } : {}) });
  const answer: RouteHandlerMethod = async (request, reply) => {
    const queryStart = request.url.indexOf('?');
    const path = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
    const origin = handler({ method: request.method, path, query: queryStart === -1 ? '' : request.url.slice(queryStart + 1), headers: request.headers });
    reply.code(origin.status ?? 200).headers(origin.headers ?? {});
    return origin.body ?? '';
  };
  for (const [path, limit] of Object.entries(routes)) app.all(path, { config: { cache: true, rateLimit: limit } }, answer);
  app.all('/*', { config: { cache: true } }, answer);
  return listenOnLoopback(app, monitor);
};

describe('response cache conformance (shared table, Fastify)', () => {
  it.each(HTTP_CONFORMANCE_CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    expect(await runConformanceCase(fastifyTarget, testCase)).toEqual([]);
  });
});
