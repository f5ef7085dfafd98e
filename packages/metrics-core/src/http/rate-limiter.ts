import { systemClock, type Clock } from '../clock.js';

/** Least time between two warnings about a failing rate-limit store. */
const STORE_WARNING_INTERVAL_MS = 10_000;
import { ValidationError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { LoadSignal } from '../contracts/metrics.js';
import type { PerformanceMonitor } from '../contracts/monitor.js';
import type { RateLimitDecision, RateLimitStore } from '../contracts/rate-limit.js';
import { createAdaptiveLimit, type AdaptiveLimit, type AdaptiveLimitOptions } from './adaptive-limit.js';
import { createConcurrencyLimiter, type ConcurrencyLimiter, type ConcurrencyLimiterOptions } from './concurrency-limiter.js';
import { createMemoryRateLimitStore } from './memory-rate-limit-store.js';
import { rateLimitBody, rateLimitHeaders, retryAfterSeconds, type RateLimitErrorBody } from './rate-limit-response.js';

import { HTTP_OPTION_DEFAULTS } from './option-defaults.js';

export { DEFAULT_EXEMPT_PATHS } from './option-defaults.js';

const DEFAULTS = HTTP_OPTION_DEFAULTS.rateLimiter;

export interface RateLimiterOptions {
  /** Requests per window and key. @default 100 */
  max?: number;
  /** Sliding window length (ms). @default 60000 */
  windowMs?: number;
  /** Counters (memory by default; a Redis store shares limits across instances). */
  store?: RateLimitStore;
  /**
   * Shrink limits when the monitor reports stress (AIMD). `true` uses the defaults; an object tunes them.
   * @default false
   */
  adaptive?: boolean | Omit<AdaptiveLimitOptions, 'loadSignal' | 'clock'>;
  /** Load source for `adaptive`. @default () => monitor.getLoadSignal() */
  loadSignal?: () => LoadSignal;
  /** Receives every decision (`recordRateLimit`) and supplies the default load signal. */
  monitor?: PerformanceMonitor | (() => PerformanceMonitor | undefined);
  /** Most requests in flight (number or options); more are shed with 503. @default undefined (off) */
  concurrency?: number | ConcurrencyLimiterOptions;
  /** Paths (exact or prefix + `/`) or patterns never limited. @default DEFAULT_EXEMPT_PATHS */
  exempt?: ReadonlyArray<string | RegExp>;
  /** Prefix of store keys. @default 'rl:' */
  keyPrefix?: string;
  /** When the store fails: let requests through (true) or refuse them (false). @default true */
  failOpen?: boolean;
  clock?: Clock;
  logger?: Logger;
}

export interface RateLimitCheck {
  /** Client key (see `clientAddressKey`) or a custom key. */
  key: string;
  /** Request path (for exemptions). */
  path: string;
  /** Route label, reported with the decision. */
  route?: string;
  /** Per-route overrides. */
  max?: number;
  windowMs?: number;
  /** A separate counter space (e.g. the route of a per-route limit), so it does not share the global count. */
  scope?: string;
}

export interface RateLimitOutcome {
  allowed: boolean;
  /** The path is exempt: nothing was counted. */
  exempt: boolean;
  /** 429 (limited) or 503 (shed) when refused. */
  statusCode?: 429 | 503;
  decision?: RateLimitDecision;
  /** Headers to set on the response (allowed or not). */
  headers: Record<string, string>;
  body?: RateLimitErrorBody;
  /** Frees the concurrency slot; call when the response finishes or aborts. Idempotent. */
  release(): void;
}

export interface RateLimiter {
  check(request: RateLimitCheck): Promise<RateLimitOutcome>;
  readonly adaptive: AdaptiveLimit | undefined;
  readonly concurrency: ConcurrencyLimiter | undefined;
  /** Current effective limit for a base limit (after the adaptive factor). */
  effectiveLimit(base?: number): number;
  reset(key: string): Promise<void>;
  /** Closes the store only when the limiter created it. */
  close(): Promise<void>;
}

const NOOP = () => {};

function validatePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new ValidationError('E_INVALID_ARGUMENT', `[wai:metrics-core] rate limit ${name} must be a positive integer, got ${String(value)}`);
}

/** True when `path` equals an exempt entry or lies under it (`/health` exempts `/health/live`). */
export function isExemptPath(path: string, exempt: ReadonlyArray<string | RegExp>): boolean {
  for (const rule of exempt) {
    if (typeof rule === 'string') {
      if (path === rule || (path.startsWith(rule) && path.charAt(rule.length) === '/')) return true;
    } else if (rule.test(path)) return true;
  }
  return false;
}

/**
 * The rate-limit decision shared by the Express and Fastify adapters: exemptions, an optional concurrency
 * limiter (503 + `Retry-After`), a sliding-window counter per key in a `RateLimitStore` (429 with RateLimit-*
 * headers) and an adaptive AIMD factor on the limit. Every decision goes to `monitor.recordRateLimit`.
 */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const max = options.max ?? DEFAULTS.max;
  const windowMs = options.windowMs ?? DEFAULTS.windowMs;
  validatePositiveInteger('max', max);
  validatePositiveInteger('windowMs', windowMs);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const ownsStore = options.store === undefined;
  const store = options.store ?? createMemoryRateLimitStore({ clock });
  // A store that is down fails every request: one warning per STORE_WARNING_INTERVAL_MS (with how many were
  // left unsaid) rather than one per request, which flooded the log and cost each request a serialised error.
  let lastStoreWarning = -Infinity;
  let unsaidStoreFailures = 0;
  const reportStoreFailure = (error: unknown, key: string) => {
    const now = clock.now();
    if (now - lastStoreWarning < STORE_WARNING_INTERVAL_MS) {
      unsaidStoreFailures++;
      return;
    }
    lastStoreWarning = now;
    const since = unsaidStoreFailures;
    unsaidStoreFailures = 0;
    logger.warn(
      { err: error, key, failuresSinceLastWarning: since },
      `[wai:metrics-core] rate-limit store failed; ${failOpen ? 'allowing' : 'refusing'} requests while it fails (warned at most every ${STORE_WARNING_INTERVAL_MS / 1000} s)`,
    );
  };
  const exempt = options.exempt ?? DEFAULTS.exempt;
  const keyPrefix = options.keyPrefix ?? DEFAULTS.keyPrefix;
  const failOpen = options.failOpen ?? DEFAULTS.failOpen;
  const monitorOf = typeof options.monitor === 'function' ? options.monitor : () => options.monitor as PerformanceMonitor | undefined;
  const concurrency = options.concurrency === undefined
    ? undefined
    : createConcurrencyLimiter(typeof options.concurrency === 'number' ? { max: options.concurrency } : options.concurrency);

  let adaptive: AdaptiveLimit | undefined;
  if (options.adaptive ?? DEFAULTS.adaptive) {
    const loadSignal = options.loadSignal ?? (() => {
      const monitor = monitorOf();
      if (!monitor) throw new ValidationError('E_CONFIG_INVALID', '[wai:metrics-core] adaptive rate limiting needs a monitor or a loadSignal function');
      return monitor.getLoadSignal();
    });
    const tuning = typeof options.adaptive === 'object' ? options.adaptive : {};
    adaptive = createAdaptiveLimit({ ...tuning, loadSignal, clock });
  }

  const record = (decision: RateLimitDecision) => {
    try {
      monitorOf()?.recordRateLimit(decision);
    } catch (error) {
      logger.warn({ err: error }, '[wai:metrics-core] monitor.recordRateLimit failed');
    }
  };

  const effectiveLimit = (base = max) => {
    if (!adaptive) return base;
    try {
      return adaptive.limit(base);
    } catch (error) {
      logger.warn({ err: error }, '[wai:metrics-core] load signal unavailable; using the base rate limit');
      return base;
    }
  };

  return {
    adaptive,
    concurrency,
    effectiveLimit,
    async check(request) {
      if (isExemptPath(request.path, exempt)) return { allowed: true, exempt: true, headers: {}, release: NOOP };
      const routeMax = request.max ?? max;
      const routeWindow = request.windowMs ?? windowMs;
      const base = { ...(request.route === undefined ? {} : { route: request.route }), key: request.key };

      let release = NOOP;
      if (concurrency) {
        if (!concurrency.tryAcquire()) {
          const decision: RateLimitDecision = { ...base, allowed: false, reason: 'shed', limit: concurrency.max, remaining: 0, resetInMs: concurrency.retryAfterSeconds * 1000 };
          record(decision);
          return { allowed: false, exempt: false, statusCode: 503, decision, headers: rateLimitHeaders(decision, concurrency.retryAfterSeconds), body: rateLimitBody(decision, concurrency.retryAfterSeconds), release: NOOP };
        }
        let released = false;
        release = () => {
          if (released) return;
          released = true;
          concurrency.release();
        };
      }

      const limit = effectiveLimit(routeMax);
      let count: number;
      let resetInMs: number;
      try {
        ({ count, resetInMs } = await store.increment(request.scope === undefined ? keyPrefix + request.key : `${keyPrefix}${request.scope}|${request.key}`, routeWindow));
      } catch (error) {
        reportStoreFailure(error, request.key);
        if (failOpen) return { allowed: true, exempt: false, headers: {}, release };
        release();
        const decision: RateLimitDecision = { ...base, allowed: false, reason: 'shed', limit, remaining: 0, resetInMs: 1000 };
        record(decision);
        return { allowed: false, exempt: false, statusCode: 503, decision, headers: rateLimitHeaders(decision, 1), body: rateLimitBody(decision, 1), release: NOOP };
      }
      const allowed = count <= limit;
      const decision: RateLimitDecision = { ...base, allowed, limit, remaining: Math.max(0, Math.floor(limit - count)), resetInMs };
      if (!allowed) decision.reason = 'limited';
      record(decision);
      if (allowed) return { allowed, exempt: false, decision, headers: rateLimitHeaders(decision), release };
      release();
      const retryAfter = retryAfterSeconds(resetInMs);
      return { allowed, exempt: false, statusCode: 429, decision, headers: rateLimitHeaders(decision, retryAfter), body: rateLimitBody(decision, retryAfter), release: NOOP };
    },
    reset: (key) => store.reset(keyPrefix + key),
    async close() {
      if (ownsStore) await store.close?.();
    },
  };
}
