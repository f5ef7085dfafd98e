import { DEFAULT_CACHEABLE_STATUSES } from './cacheability.js';
import type { StressBand } from './adaptive-limit.js';

/** Paths never limited: health checks and metric scrapes must keep working when the limiter bites. */
export const DEFAULT_EXEMPT_PATHS: readonly string[] = ['/health', '/healthz', '/ready', '/readyz', '/metrics', '/api/performance/enhanced'];

const band = (enter: number, exit: number): Readonly<StressBand> => Object.freeze({ enter, exit });

/**
 * The defaults of the HTTP kit's options, in one place: each factory reads its own entry, and the README checks
 * (`docs/http.md`, the Express and Fastify READMEs, through `@wai/metrics-core/http/testing`) compare what the
 * documentation states with these.
 */
export const HTTP_OPTION_DEFAULTS = Object.freeze({
  /** `createHttpCache` / `createHttpPipeline` (`ttl` has none). */
  cache: Object.freeze({
    overrideOrigin: false,
    staleWhileRevalidate: 0,
    tags: Object.freeze([]) as readonly string[],
    vary: Object.freeze([]) as readonly string[],
    keyIncludesHost: true,
    invalidateOnUnsafe: true,
    allowAuthorized: false,
    statuses: DEFAULT_CACHEABLE_STATUSES,
    maxBodyBytes: 1024 * 1024,
  }),
  rateLimiter: Object.freeze({ max: 100, windowMs: 60_000, adaptive: false, exempt: DEFAULT_EXEMPT_PATHS, keyPrefix: 'rl:', failOpen: true }),
  adaptiveLimit: Object.freeze({
    eventLoopDelayP99Ms: band(200, 100),
    latencyP99Ms: band(2000, 1000),
    errorRate: band(0.1, 0.05),
    // Inverted: stress while the score is below `enter`, until it is above `exit`.
    healthScore: band(50, 70),
    decreaseFactor: 0.5,
    increaseStep: 0.1,
    minFactor: 0.1,
    minDwellMs: 5000,
    evaluateIntervalMs: 1000,
  }),
  concurrency: Object.freeze({ retryAfterSeconds: 1 }),
  memoryRateLimitStore: Object.freeze({ maxKeys: 100_000, sweepIntervalMs: 60_000 }),
  memoryCacheStore: Object.freeze({ maxEntries: 1000, defaultTtl: 300 }),
  profileTrigger: Object.freeze({ slowRequestMs: 1000, eventLoopDelayMs: 200, minIntervalMs: 600_000, durationMs: 2000, minBusyShare: 0.5 }),
});
