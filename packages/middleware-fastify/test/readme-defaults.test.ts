import { fileURLToPath } from 'node:url';
import { HTTP_OPTION_DEFAULTS } from '@wai/metrics-core/http/testing';
import type { ConcurrencyLimiterOptions, ProfileTriggerOptions } from '@wai/metrics-core/http';
import { checkReadmeDefaults, describedOnly, qualified, type OptionDefaults } from '@wai/test-services/readme';
import { describe, expect, it } from 'vitest';
import { PLUGIN_DEFAULTS, type WaiPerformanceOptions, type WaiRateLimitOptions } from '../src/options.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const { cache, rateLimiter, adaptiveLimit, concurrency, profileTrigger } = HTTP_OPTION_DEFAULTS;

type CacheDefaults = NonNullable<WaiPerformanceOptions['cache']>;
type ProfilingOptions = Exclude<WaiPerformanceOptions['profiling'], boolean | undefined>;
type AdaptiveTuning = Exclude<WaiRateLimitOptions['adaptive'], boolean | undefined>;

describe('README option tables and signatures', () => {
  it('state the defaults the plugin resolves, for every option its types have', () => {
    const problems = checkReadmeDefaults(
      readme,
      {
        ...qualified('fastify.register', {
          monitor: describedOnly('{}: options for a monitor the plugin creates'),
          cacheStore: describedOnly('a bounded in-memory store'),
          cache: describedOnly('{}: the pipeline defaults below'),
          rateLimit: describedOnly('off'),
          loadSignal: describedOnly("the monitor's getLoadSignal"),
          serverTiming: PLUGIN_DEFAULTS.serverTiming,
          profiling: PLUGIN_DEFAULTS.profiling,
          clock: describedOnly('systemClock'),
          logger: describedOnly('fastify.log'),
        } satisfies OptionDefaults<WaiPerformanceOptions>),
        ...qualified('profiling', { ...profileTrigger, onProfile: undefined } satisfies OptionDefaults<ProfilingOptions> & Partial<OptionDefaults<ProfileTriggerOptions>>),
        ...qualified('cache', {
          ttl: undefined,
          ...cache,
        } satisfies OptionDefaults<CacheDefaults>),
        ...qualified('rateLimit', {
          max: rateLimiter.max,
          windowMs: rateLimiter.windowMs,
          store: describedOnly('a memory store the limiter owns'),
          keyGenerator: describedOnly('clientAddressKey(request.ip)'),
          adaptive: rateLimiter.adaptive,
          concurrency: describedOnly('off'),
          exempt: describedOnly('DEFAULT_EXEMPT_PATHS, listed'),
          failOpen: rateLimiter.failOpen,
          global: PLUGIN_DEFAULTS.global,
          scope: undefined,
          keyPrefix: rateLimiter.keyPrefix,
        } satisfies OptionDefaults<WaiRateLimitOptions>),
        ...qualified('rateLimit.adaptive', adaptiveLimit satisfies OptionDefaults<AdaptiveTuning>), // the bands: named without a value, not compared,
        ...qualified('rateLimit.concurrency', { max: undefined, ...concurrency } satisfies OptionDefaults<ConcurrencyLimiterOptions>),
      },
      { signatures: true },
    );
    expect(problems).toEqual([]);
  });
});
