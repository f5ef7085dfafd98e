import type { FastifyPluginAsync } from 'fastify';
import { UnavailableError } from '@wai/metrics-core';
import { createValidatorCompiler } from './validator.js';

/**
 * Routes that misbehave on purpose so `demo:load` can show the dashboard's alerts, bottlenecks and
 * recommendations: a slow upstream, a CPU hog that blocks the event loop, and a flaky dependency.
 */
export const demoRoutes: FastifyPluginAsync = async (app) => {
  app.setValidatorCompiler(createValidatorCompiler());
  app.get<{ Querystring: { ms: number } }>(
    '/api/demo/slow',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { ms: { type: 'integer', minimum: 0, maximum: 5000, default: 1200 } } } } },
    async (request) => {
      // Jitter ±20 % so the latency distribution looks like a real slow upstream, not a constant.
      const ms = Math.round(request.query.ms * (0.8 + Math.random() * 0.4));
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { waitedMs: ms };
    },
  );

  app.get<{ Querystring: { ms: number } }>(
    '/api/demo/cpu',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { ms: { type: 'integer', minimum: 0, maximum: 500, default: 80 } } } } },
    async (request) => {
      // Blocks the event loop on purpose (what a synchronous JSON.parse of a huge body or a bad regex does).
      const until = performance.now() + request.query.ms;
      let spins = 0;
      while (performance.now() < until) spins++;
      return { blockedMs: request.query.ms, spins };
    },
  );

  app.get<{ Querystring: { failRate: number } }>(
    '/api/demo/flaky',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { failRate: { type: 'number', minimum: 0, maximum: 1, default: 0.3 } } } } },
    async (request) => {
      if (Math.random() < request.query.failRate) {
        throw new UnavailableError('E_DEMO_UPSTREAM', '[wai:reference-server] the flaky demo upstream failed (on purpose)');
      }
      return { ok: true };
    },
  );
};
