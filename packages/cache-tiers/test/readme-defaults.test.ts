import { fileURLToPath } from 'node:url';
import { silentLogger, systemClock } from '@wai/metrics-core';
import { checkReadmeDefaults, describedOnly, named } from '@wai/test-services/readme';
import { describe, expect, it } from 'vitest';
import { resolveCacheOptions } from '../src/cache/resolve-options.js';
import { DEFAULT_FILL_WINDOW_MS, jsonSerializer } from '../src/index.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('README option tables', () => {
  it("match createCache's resolved defaults", () => {
    const resolved = resolveCacheOptions({}, undefined);
    const problems = checkReadmeDefaults(readme, {
      namespace: resolved.namespace,
      l1: describedOnly('a memory tier with its own defaults (createMemoryTier)'),
      l2: describedOnly('no Redis tier unless one is given'),
      l3: describedOnly('no SQL tier unless one is given'),
      defaultTTL: resolved.defaultTTL,
      grace: resolved.grace,
      failSafeRetryInterval: resolved.failSafeRetryInterval,
      softTimeout: resolved.softTimeout,
      hardTimeout: resolved.hardTimeout,
      // Resolved as "no lease" (undefined) when off; the option's default is `false`.
      lease: resolved.lease ?? false,
      bus: resolved.bus,
      busAckTimeout: resolved.ackTimeout,
      writeTimeout: resolved.writeTimeout,
      flushTimeout: resolved.flushTimeout,
      handoffInterval: resolved.handoffInterval,
      maxPendingInvalidations: resolved.maxPendingInvalidations,
      'l2.fillWindow': DEFAULT_FILL_WINDOW_MS,
      'l3.fillWindow': DEFAULT_FILL_WINDOW_MS,
      commandTimeout: resolved.commandTimeout,
      circuitBreaker: { failureThreshold: resolved.failureThreshold, resetTimeout: resolved.resetTimeout },
      'l2.circuitBreaker': describedOnly("the cache's own breaker, with the `circuitBreaker` thresholds above"),
      serializer: named('jsonSerializer', resolved.serializer === jsonSerializer),
      compressionThreshold: resolved.compressionThreshold,
      purgeOnInvalidate: resolved.purgeOnInvalidate,
      rememberLoaders: resolved.rememberLoaders,
      maxRememberedLoaders: resolved.maxRememberedLoaders,
      warming: { intervalMs: resolved.warmingIntervalMs },
      prediction: describedOnly('predictive preloading is installed only when `prediction` is given'),
      analytics: describedOnly('the cacheAnalytics plugin with its own defaults'),
      accessSamplePeriod: resolved.accessSamplePeriod,
      hooks: undefined,
      plugins: undefined,
      extensions: undefined,
      clock: named('systemClock', resolved.clock === systemClock),
      logger: named('silentLogger', resolved.logger === silentLogger),
    });
    expect(problems).toEqual([]);
  });
});
