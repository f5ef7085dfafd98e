import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createPerformanceMonitor, type PerformanceMonitor } from '@wai/metrics-core';
import { createMemoryCacheStore } from '@wai/metrics-core/http';
import { forwardToOrigin } from '@wai/metrics-core/http/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { waiPerformance, type WaiPerformanceOptions } from '../src/index.js';

/** The installed `http-cache-tests` package (a devDependency). */
export const cacheTestsDir = dirname(createRequire(import.meta.url).resolve('http-cache-tests/package.json'));

/** Fastify as a caching reverse proxy: the plugin with one catch-all `config: { cache: true }` route relaying to `originUrl`. */
export async function startFastifyProxy(originUrl: string, cache: WaiPerformanceOptions['cache'] = {}): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify();
  const monitor = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false });
  await app.register(waiPerformance, { monitor, cacheStore: createMemoryCacheStore({ maxEntries: 10_000 }), cache });
  // The suite also sends M-SEARCH (an unsafe method that must invalidate, RFC 9111 §4.4).
  app.addHttpMethod('M-SEARCH', { hasBody: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.all('/*', { config: { cache: true } }, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    const answer = await forwardToOrigin(originUrl, { method: request.method, url: request.url, headers: request.headers, ...(body ? { body } : {}) });
    if (answer.status > 599) {
      // Fastify refuses codes above 599; the suite's origin signals with 999, so relay it on the raw response.
      reply.hijack();
      reply.raw.writeHead(answer.status, answer.headers);
      reply.raw.end(answer.body);
      return reply;
    }
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
  return listenOnLoopback(app, monitor);
}

/** Listens on 127.0.0.1 (port 0); `close` closes the app, then the monitor it reports to. */
export async function listenOnLoopback(app: FastifyInstance, monitor: PerformanceMonitor): Promise<{ url: string; close(): Promise<void> }> {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    close: async () => {
      await app.close();
      await monitor.close();
    },
  };
}
