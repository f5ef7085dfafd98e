import { fileURLToPath } from 'node:url';
import { HTTP_OPTION_DEFAULTS } from '@wai/metrics-core/http/testing';
import { checkReadmeDefaults, describedOnly, qualified, rateLimitOptionDefaults, type OptionDefaults } from '@wai/test-services/readme';
import { describe, expect, it } from 'vitest';
import type { ConcurrencyLimiterOptions, ProfileTriggerOptions } from '@wai/metrics-core/http';
import type { AdaptiveRateLimitOptions } from '../src/adaptive-rate-limit.js';
import { PERFORMANCE_SYSTEM_DEFAULTS, type PerformanceSystemConfig } from '../src/initialize-performance-system.js';
import type { IntelligentCacheOptions, InvalidateOnWriteOptions } from '../src/intelligent-cache.js';
import { REQUEST_TIMING_DEFAULTS, type RequestTimingOptions } from '../src/request-timing.js';
import { ROUTE_MONITORING_DEFAULTS, type RouteMonitoringOptions } from '../src/route-monitoring.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const { cache, rateLimiter, adaptiveLimit, concurrency, profileTrigger } = HTTP_OPTION_DEFAULTS;
const DEFAULT_MONITOR = describedOnly('the monitor set by initializePerformanceSystem / setDefaultMonitor');
const SILENT = describedOnly('silentLogger');
const SYSTEM_CLOCK = describedOnly('systemClock');

type ProfilingOptions = Exclude<RouteMonitoringOptions['enableProfiling'], boolean | undefined>;
type AdaptiveTuning = Exclude<AdaptiveRateLimitOptions['adaptive'], boolean | undefined>;

describe('README option tables and signatures', () => {
  it('state the defaults the middleware resolves, for every option their types have', () => {
    const problems = checkReadmeDefaults(
      readme,
      {
        ...qualified('enhancedRequestTiming', {
          monitor: DEFAULT_MONITOR,
          serverTiming: REQUEST_TIMING_DEFAULTS.serverTiming,
          onFinish: undefined,
          logger: SILENT,
        } satisfies OptionDefaults<RequestTimingOptions>),
        ...qualified('intelligentCache', {
          ttl: undefined,
          store: describedOnly('getDefaultCacheStore()'),
          ...cache,
          clock: describedOnly('no cell: systemClock'),
          logger: describedOnly('no cell: silentLogger'),
        } satisfies OptionDefaults<IntelligentCacheOptions>),
        ...qualified('invalidateOnWrite', {
          tags: describedOnly('required'),
          store: describedOnly('getDefaultCacheStore(), a call'),
          logger: undefined,
        } satisfies OptionDefaults<InvalidateOnWriteOptions>),
        ...qualified('adaptiveRateLimit', {
          ...rateLimitOptionDefaults(rateLimiter, 'req'),
          loadSignal: describedOnly("the monitor's getLoadSignal"),
          monitor: DEFAULT_MONITOR,
          clock: SYSTEM_CLOCK,
          logger: SILENT,
        } satisfies OptionDefaults<AdaptiveRateLimitOptions>),
        ...qualified('adaptiveRateLimit.adaptive', adaptiveLimit satisfies OptionDefaults<AdaptiveTuning>), // the bands: named without a value, not compared,
        ...qualified('adaptiveRateLimit.concurrency', { max: undefined, ...concurrency } satisfies OptionDefaults<ConcurrencyLimiterOptions>),
        ...qualified('createRouteMonitoring', {
          ...ROUTE_MONITORING_DEFAULTS,
          cache: undefined,
          cacheStore: undefined,
          monitor: undefined,
        } satisfies OptionDefaults<RouteMonitoringOptions>),
        ...qualified('enableProfiling', { ...profileTrigger, onProfile: undefined } satisfies OptionDefaults<ProfilingOptions> & Partial<OptionDefaults<ProfileTriggerOptions>>),
        ...qualified('initializePerformanceSystem', {
          monitor: describedOnly('{}: options for a new monitor, seeded from settings'),
          settings: describedOnly('loadConfigFromEnv(process.env), a call'),
          cache: describedOnly('getDefaultCacheStore()'),
          timing: describedOnly('{}: spread into instrumentApp'),
          start: PERFORMANCE_SYSTEM_DEFAULTS.start,
        } satisfies OptionDefaults<PerformanceSystemConfig>),
      },
      { signatures: true },
    );
    expect(problems).toEqual([]);
  });
});
