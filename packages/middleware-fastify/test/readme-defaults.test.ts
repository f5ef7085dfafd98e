import { fileURLToPath } from 'node:url';
import { HTTP_OPTION_DEFAULTS } from '@wai/metrics-core/http/testing';
import type { ConcurrencyLimiterOptions, ProfileTriggerOptions } from '@wai/metrics-core/http';
import { checkReadmeDefaults, describedOnly, qualified, rateLimitOptionDefaults, type OptionDefaults } from '@wai/test-services/readme';
import { describe, expect, it } from 'vitest';
import { PLUGIN_DEFAULTS, type WaiPerformanceOptions, type WaiRateLimitOptions } from '../src/options.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const { cache, rateLimiter, adaptiveLimit, concurrency, profileTrigger } = HTTP_OPTION_DEFAULTS;

type CacheDefaults = NonNullable<WaiPerformanceOptions['cache']>;
type ProfilingOptions = Exclude<WaiPerformanceOptions['profiling'], boolean | undefined>;
type AdaptiveTuning = Exclude<WaiRateLimitOptions['adaptive'], boolean | undefined>;

// What the plugin resolves for each option of its types, by README section.
const documented = {
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
    ...rateLimitOptionDefaults(rateLimiter, 'request'),
    global: PLUGIN_DEFAULTS.global,
  } satisfies OptionDefaults<WaiRateLimitOptions>),
  ...qualified('rateLimit.adaptive', adaptiveLimit satisfies OptionDefaults<AdaptiveTuning>), // the bands: named without a value, not compared,
  ...qualified('rateLimit.concurrency', { max: undefined, ...concurrency } satisfies OptionDefaults<ConcurrencyLimiterOptions>),
};

describe('README option tables and signatures', () => {
  it('state the defaults the plugin resolves, for every option its types have', () => {
    expect(checkReadmeDefaults(readme, documented, { signatures: true })).toEqual([]);
  });
});
