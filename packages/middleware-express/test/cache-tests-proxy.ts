import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { forwardToOrigin } from '@wai/metrics-core/http/testing';
import express from 'express';
import { intelligentCache, type IntelligentCacheOptions } from '../src/index.js';

/** The installed `http-cache-tests` package (a devDependency). */
export const cacheTestsDir = dirname(createRequire(import.meta.url).resolve('http-cache-tests/package.json'));

/** Express as a caching reverse proxy: `app.use(intelligentCache(options))` in front of a relay to `originUrl`. */
export async function startExpressProxy(originUrl: string, options: IntelligentCacheOptions = {}): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(intelligentCache(options));
  app.use(express.raw({ type: () => true, limit: '1mb' }));
  app.use((req, res, next) => {
    const body = Buffer.isBuffer(req.body) ? req.body : undefined;
    forwardToOrigin(originUrl, { method: req.method, url: req.originalUrl, headers: req.headers, ...(body ? { body } : {}) }).then((answer) => {
      res.statusCode = answer.status;
      for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
      res.end(answer.body);
    }, next);
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
