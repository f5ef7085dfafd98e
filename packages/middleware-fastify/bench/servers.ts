/** Fastify servers for the benchmark (compiled to plain JS by the harness); `node servers.mjs <variant>` prints `PORT <n>`. */
import type { AddressInfo } from 'node:net';
import fastifyCaching from '@fastify/caching';
import { createPerformanceMonitor } from '@wai/metrics-core';
import { createMemoryCacheStore } from '@wai/metrics-core/http';
import { answerCpuProbes, ONE_KB_DOCUMENT } from '@wai/test-services/bench-server';
import Fastify, { type FastifyPluginAsync } from 'fastify';
import * as fastifyMetricsModule from 'fastify-metrics';
import { waiPerformance } from '../src/index.js';

answerCpuProbes();

const variant = process.argv[2] ?? 'bare';
const app = Fastify({ logger: false });
if (variant === 'wai' || variant === 'hit-wai' || variant.startsWith('slow') || variant.startsWith('busy')) {
  await app.register(waiPerformance, { monitor: createPerformanceMonitor({ autoStart: true }), cacheStore: createMemoryCacheStore() });
}
// fastify-metrics is CommonJS with `exports.default`: under ESM the plugin sits one `default` deeper.
const fastifyMetrics = (fastifyMetricsModule.default as unknown as { default: FastifyPluginAsync<{ endpoint: string }> }).default;
if (variant === 'metrics') await app.register(fastifyMetrics, { endpoint: '/metrics' });
app.get('/hello/:id', async () => ({ hello: 'world' }));
// A constant 1 KB document: bare, behind @wai's cache, and through @fastify/caching's server-side cache (the
// plugin caches what the handler puts in `fastify.cache`, as its README shows; it has no response cache).
if (variant === 'hit-caching') {
  await app.register(fastifyCaching, {});
  app.get('/doc', (request, reply) => {
    app.cache.get(request.url, (error: unknown, cached: { item: string } | null) => {
      if (error) return void reply.send(error);
      reply.type('application/json; charset=utf-8');
      if (cached) return void reply.send(cached.item);
      const body = JSON.stringify(ONE_KB_DOCUMENT);
      app.cache.set(request.url, body, 600_000, () => void reply.send(body));
    });
  });
} else {
  app.get('/doc', { config: variant === 'hit-wai' ? { cache: { ttl: 600 } } : {} }, async () => ONE_KB_DOCUMENT);
}
app.get('/slow', { config: variant === 'slow-cached' ? { cache: { ttl: 600 } } : {} }, async () => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  return { report: 'slow', items: [1, 2, 3] };
});
// 5 ms of synchronous work (rendering, JSON over a large document…): the CPU-bound counterpart of /slow.
app.get('/busy', { config: variant === 'busy-cached' ? { cache: { ttl: 600 } } : {} }, async () => {
  const until = performance.now() + 5;
  while (performance.now() < until);
  return { report: 'busy', items: [1, 2, 3] };
});
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`PORT ${(app.server.address() as AddressInfo).port}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
