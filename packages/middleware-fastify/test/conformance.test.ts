import { createPerformanceMonitor } from '@wai/metrics-core';
import { createMemoryCacheStore } from '@wai/metrics-core/http';
import { HTTP_CONFORMANCE_CASES, runConformanceCase, type ConformanceTarget } from '@wai/metrics-core/http/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { waiPerformance } from '../src/index.js';
import { listenOnLoopback } from './cache-tests-proxy.js';

/** The plugin with one catch-all cached route (every method), as the shared table expects. */
const fastifyTarget: ConformanceTarget = async ({ clock, handler, options }) => {
  const app = Fastify();
  const monitor = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false });
  await app.register(waiPerformance, { monitor, clock, cacheStore: createMemoryCacheStore({ clock }), cache: options });
  app.all('/*', { config: { cache: true } }, async (request, reply) => {
    const queryStart = request.url.indexOf('?');
    const path = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
    const answer = handler({ method: request.method, path, query: queryStart === -1 ? '' : request.url.slice(queryStart + 1), headers: request.headers });
    reply.code(answer.status ?? 200).headers(answer.headers ?? {});
    return answer.body ?? '';
  });
  return listenOnLoopback(app, monitor);
};

describe('response cache conformance (shared table, Fastify)', () => {
  it.each(HTTP_CONFORMANCE_CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    expect(await runConformanceCase(fastifyTarget, testCase)).toEqual([]);
  });
});
