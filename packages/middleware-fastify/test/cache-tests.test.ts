import { checkCacheTests } from '@wai/metrics-core/http/testing';
import { describe, expect, it } from 'vitest';
import { cacheTestsDir, startFastifyProxy } from './cache-tests-proxy.js';

// The HTTP Working Group's cache-tests (npm http-cache-tests), Fastify as a reverse proxy in front of its origin.
describe('HTTP WG cache-tests, Fastify as a reverse proxy', () => {
  it('defaults: nothing served that must not be, and at least as many passes as Apache httpd', async () => {
    expect(await checkCacheTests({ suiteDir: cacheTestsDir, startProxy: (origin) => startFastifyProxy(origin) })).toEqual([]);
  }, 180_000);

  it('the README example ({ ttl: 300, staleWhileRevalidate: 60 }): nothing served that must not be', async () => {
    const startProxy = (origin: string) => startFastifyProxy(origin, { ttl: 300, staleWhileRevalidate: 60 });
    expect(await checkCacheTests({ suiteDir: cacheTestsDir, minimumPassFrom: null, startProxy })).toEqual([]);
  }, 180_000);
});
