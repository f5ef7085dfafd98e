import { checkCacheTests } from '@wai/metrics-core/http/testing';
import { describe, expect, it } from 'vitest';
import { cacheTestsDir, startExpressProxy } from './cache-tests-proxy.js';

// The HTTP Working Group's cache-tests (npm http-cache-tests), Express as a reverse proxy in front of its origin.
describe('HTTP WG cache-tests, Express as a reverse proxy', () => {
  it('defaults: nothing served that must not be, and at least as many passes as Apache httpd', async () => {
    expect(await checkCacheTests({ suiteDir: cacheTestsDir, startProxy: (origin) => startExpressProxy(origin) })).toEqual([]);
  }, 180_000);

  it('the README example ({ ttl: 600 }): nothing served that must not be', async () => {
    expect(await checkCacheTests({ suiteDir: cacheTestsDir, minimumPassFrom: null, startProxy: (origin) => startExpressProxy(origin, { ttl: 600 }) })).toEqual([]);
  }, 180_000);
});
