import { fileURLToPath } from 'node:url';
import { checkReadmeDefaults, describedOnly, named, qualified, type OptionDefaults } from '@wai/test-services/readme';
import { describe, expect, it } from 'vitest';
import type { AdaptiveLimitOptions } from './adaptive-limit.js';
import type { ConcurrencyLimiterOptions } from './concurrency-limiter.js';
import type { HttpPipelineOptions } from './http-pipeline.js';
import type { MemoryCacheStoreOptions } from './memory-cache-store.js';
import type { MemoryRateLimitStoreOptions } from './memory-rate-limit-store.js';
import { HTTP_OPTION_DEFAULTS } from './option-defaults.js';
import type { ProfileTriggerOptions } from './profile-trigger.js';
import { DEFAULT_EXEMPT_PATHS, type RateLimiterOptions } from './rate-limiter.js';
import type { RequestTrackerOptions } from './request-tracker.js';

const doc = fileURLToPath(new URL('../../docs/http.md', import.meta.url));
const { cache, rateLimiter, adaptiveLimit, concurrency, memoryCacheStore, memoryRateLimitStore, profileTrigger } = HTTP_OPTION_DEFAULTS;

describe('docs/http.md option tables and signatures', () => {
  it('state the defaults the HTTP kit resolves, for every option its types have', () => {
    const problems = checkReadmeDefaults(
      doc,
      {
        ...qualified('createHttpPipeline', {
          rateLimiter: undefined,
          cache: describedOnly('made from the other options on first use'),
          store: describedOnly('a createMemoryCacheStore() made per cache'),
          ttl: undefined,
          ...cache,
          clock: describedOnly('systemClock'),
          logger: describedOnly('silentLogger'),
        } satisfies OptionDefaults<HttpPipelineOptions>),
        ...qualified('createMemoryCacheStore', { ...memoryCacheStore, clock: undefined } satisfies OptionDefaults<MemoryCacheStoreOptions>),
        ...qualified('createRateLimiter', {
          max: rateLimiter.max,
          windowMs: rateLimiter.windowMs,
          store: describedOnly('a createMemoryRateLimitStore() the limiter owns'),
          adaptive: rateLimiter.adaptive,
          loadSignal: describedOnly("the monitor's getLoadSignal"),
          monitor: undefined,
          concurrency: describedOnly('off'),
          exempt: named('DEFAULT_EXEMPT_PATHS', rateLimiter.exempt === DEFAULT_EXEMPT_PATHS),
          failOpen: rateLimiter.failOpen,
          keyPrefix: rateLimiter.keyPrefix,
          clock: describedOnly('systemClock'),
          logger: describedOnly('silentLogger'),
        } satisfies OptionDefaults<RateLimiterOptions>),
        ...qualified('createRateLimiter.concurrency', { max: undefined, ...concurrency } satisfies OptionDefaults<ConcurrencyLimiterOptions>),
        ...qualified('createMemoryRateLimitStore', { ...memoryRateLimitStore, clock: undefined } satisfies OptionDefaults<MemoryRateLimitStoreOptions>),
        ...qualified('createAdaptiveLimit', {
          loadSignal: describedOnly('required'),
          ...adaptiveLimit,
          clock: describedOnly('systemClock'),
        } satisfies OptionDefaults<AdaptiveLimitOptions>),
        ...qualified('createRequestTracker', {
          monitor: undefined,
          now: describedOnly('performance.now of node:perf_hooks'),
          logger: undefined,
        } satisfies OptionDefaults<RequestTrackerOptions>),
        ...qualified('createProfileTrigger', {
          monitor: undefined,
          ...profileTrigger,
          eventLoopUtilization: describedOnly('performance.eventLoopUtilization'),
          onProfile: undefined,
          clock: undefined,
          logger: undefined,
        } satisfies OptionDefaults<ProfileTriggerOptions>),
      },
      { signatures: true },
    );
    expect(problems).toEqual([]);
  });
});
