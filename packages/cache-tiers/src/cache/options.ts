import type { Clock, Logger } from '@wai/metrics-core';
import type { CircuitBreaker } from '../circuit-breaker.js';
import type { MemoryTierOptions } from '../l1/index.js';
import type { RedisTierOptions } from '../l2/redis-tier.js';
import type { SqlTierOptions } from '../l3/index.js';
import type { Serializer } from '../serializer.js';
import type { PredictivePreloadingOptions } from '../predictive/predictive-preloading.js';
import type { CacheTier, SyncCacheTier } from '../tier.js';
import type { CacheHook, CachePluginHandle } from './hooks.js';
import type { Cache } from './types.js';
import type { CacheAnalyticsOptions } from '../analytics/cache-analytics.js';

/**
 * L1 settings, passed through to `createMemoryTier` (`maxSize`, `maxMemory`, `admission`, `ttlJitter`, …);
 * the guide's `maxMemorySize` is accepted for `maxMemory`. The cache supplies `clock` and `onEvict`.
 */
export type L1Options = Omit<MemoryTierOptions, 'clock' | 'onEvict'> & {
  /** Alias of `maxMemory` (the guide's `L1.maxMemorySize`). */
  maxMemorySize?: number;
  /**
   * The guide's `L1.hotKeyThreshold`: accesses after which a key counts as hot. Refresh-ahead refreshes only hot
   * keys (its `minHits` defaults to it) and analytics marks hot keys in `topKeys` (`hot: true`) and reports the
   * threshold in `config`, so recommendations can name it. Read back as `cache.options.hotKeyThreshold`.
   * @default none (refresh-ahead's own `minHits` of 2; no key marked)
   */
  hotKeyThreshold?: number;
};

export interface L2Options extends RedisTierOptions {
  /** Default TTL (seconds) when a call gives none; same as the top-level `defaultTTL`. */
  defaultTTL?: number;
  /**
   * A breaker (from `createCircuitBreaker`) shared with other clients of the same Redis, such as
   * `redisRateLimitStore`: one outage opens it once for all of them, so a request pays at most one command
   * timeout however many Redis clients it goes through. Its own `failureThreshold` / `resetTimeout` apply (the
   * cache's `circuitBreaker` options are then not used for L2). @default a breaker of the cache's own
   */
  circuitBreaker?: CircuitBreaker;
}

export interface LeaseOptions {
  /** How long (ms) a lease is held at most (a crashed holder frees it after this). @default 10000 */
  ttl?: number;
  /** How long (ms) a caller waits for another instance's load before loading itself. @default 5000 */
  wait?: number;
  /**
   * Ms between checks, while waiting, that the lease is still held: a caller stops waiting as soon as the holder
   * is gone (its announcement lost, or the holder crashed) instead of after all of `wait`. @default 50
   */
  poll?: number;
}

export interface CircuitOptions {
  /** Consecutive failures that open a tier's circuit. @default 3 */
  failureThreshold?: number;
  /** Ms before a probe is tried on an open circuit. @default 1000 */
  resetTimeout?: number;
}

export interface CacheOptions {
  /** Keys, tag stamps and bus channels are scoped by it. @default 'wai' */
  namespace?: string;
  /** The memory tier (on by default); `false` disables it. */
  l1?: false | L1Options | SyncCacheTier;
  /** Redis: options for the built-in tier, or any `CacheTier`; off when absent. */
  l2?: false | L2Options | CacheTier;
  /** SQL: `{ driver: 'sqlite', path }` or `{ driver: 'postgres', connectionString | pool }`, or any `CacheTier`. */
  l3?: false | SqlTierOptions | CacheTier;
  /** TTL in seconds when a call gives none. @default 3600 (or `l2.defaultTTL`) */
  defaultTTL?: number;
  /** Fail-safe window (seconds) after expiry during which a stale value may be served when a load fails. @default 0 */
  grace?: number;
  /** After a failed load served stale, ms before the loader is tried again for that key. @default 1000 */
  failSafeRetryInterval?: number;
  /** Ms after which `getOrSet` answers with a stale value (if any) while the load continues. @default none */
  softTimeout?: number;
  /** Ms after which a load is abandoned: stale value if any, else `TimeoutError`. @default none */
  hardTimeout?: number;
  /** Cross-instance single-flight through a Redis lease (needs the built-in L2). @default false */
  lease?: boolean | LeaseOptions;
  /** Cross-instance L1 invalidation over Redis pub/sub (needs the built-in L2). @default false */
  bus?: boolean;
  /**
   * Ms a write waits for the other instances to acknowledge its bus message (they have dropped the old value from
   * their L1). An instance that does not answer in time is treated as cut off; the write returns anyway. Keep it
   * above the event-loop lag of a loaded instance: a write that stops waiting too early lets that instance serve
   * its old copy until the message is applied.
   * @default 1000
   */
  busAckTimeout?: number;
  /** Ms every L2/L3 call may take before it counts as failed (reads fall through). @default 500 */
  commandTimeout?: number;
  circuitBreaker?: CircuitOptions;
  /** Used by L2 and L3 and to check values before anything is stored. @default jsonSerializer */
  serializer?: Serializer;
  /** Bytes above which L2/L3 payloads are deflated (overridden by `l2.compressionThreshold`). @default 1024 */
  compressionThreshold?: number | false;
  /** Remember each key's loader (for refresh-ahead / prediction) even without `predictive: true`. @default false */
  rememberLoaders?: boolean;
  /** Most loaders remembered (least recently used forgotten first). @default 10000 */
  maxRememberedLoaders?: number;
  /**
   * `invalidateByTag` writes one stamp (O(1)) that reads compare with; with this on it also deletes the tag's
   * entries from L2/L3 in the background (O(entries), frees memory sooner). L1 always drops them at once.
   * @default false
   */
  purgeOnInvalidate?: boolean;
  /**
   * Most keys (and as many tags) whose last invalidation this instance remembers to refuse late fills into L1;
   * past it the oldest is forgotten and every fill begun before it is refused (a miss, never a stale read).
   * @default 100000
   */
  maxTagStamps?: number;
  /**
   * Invalidations and bus messages kept while Redis or SQL cannot take them (replayed in order when they can);
   * past it they collapse into one `clear`. @default 10000
   */
  maxPendingInvalidations?: number;
  /**
   * Ms a write or an invalidation waits for L2/L3 (and a bus message for Redis) before it is queued for replay.
   * Tried even while a tier's circuit is open: a circuit opened by slow reads must not delay an invalidation the
   * other instances need to see. @default 1000
   */
  writeTimeout?: number;
  /**
   * Ms `close()` keeps trying to deliver queued invalidations before handing what Redis never took to the SQL
   * tier (when there is one; see `handoffInterval`) or giving up and logging what is left. @default 2000
   */
  flushTimeout?: number;
  /**
   * With Redis and a SQL tier: an invalidation Redis cannot take (this instance is cut off) is also written to a
   * `<table>_handoff` table, and every instance that reaches Redis polls it this often (ms) and delivers what it
   * finds (Redis delete + bus message). Bounds how long others serve an old value after a write by an instance
   * cut off from Redis, even if that instance stops or crashes. 0 = this instance never relays. @default 500
   */
  handoffInterval?: number;
  /**
   * Cache warming (the `cacheWarming` plugin, installed by default): run every enabled strategy each
   * `intervalMs` (0 = only on `warm()`). `false` leaves it out (then `addWarmingStrategy` / `warm` refuse with a
   * `ConfigError`, and another plugin may supply warming). @default { intervalMs: 0 }
   */
  warming?: false | { intervalMs?: number };
  /**
   * The guide's `prediction` settings: when given, predictive preloading is installed as a plugin (the same as
   * `plugins: [predictivePreloading(prediction)]`); `enabled` falls back to `CACHE_PREDICTIVE_WARMING`, then on;
   * `modelUpdateInterval` (ms) is how often the successor model is compacted (counts halved, zeros dropped).
   * Keys take part when read with `getOrSet(…, { predictive: true })`.
   * @default undefined (no preloading)
   */
  prediction?: PredictivePreloadingOptions;
  /**
   * Analytics (`cacheAnalytics`: top keys, access patterns per prefix, p99 latencies, miss-ratio curve), on by
   * default, fed by a sample of the traffic (see `accessSamplePeriod`). Options go to `cacheAnalytics`; `false`
   * leaves it out. A `cacheAnalytics()` plugin in `plugins` replaces the default one. @default {}
   */
  analytics?: false | CacheAnalyticsOptions;
  /**
   * One L1/L2/L3 hit in this many (a power of two) is reported to sampled statistics (`accessSample` hooks, which
   * analytics uses); misses always are. 1 reports every hit (exact counts, slower hits). @default 32
   */
  accessSamplePeriod?: number;
  /** Hooks registered at creation (same as `cache.addHook`). */
  hooks?: CacheHook[];
  /** Plugins (analytics collectors, warming, prediction) called once with the cache. */
  plugins?: Array<(cache: Cache) => CachePluginHandle | void>;
  /** Options for plugins and extensions, passed through untouched (read them from `cache.options.extensions`). */
  extensions?: Record<string, unknown>;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
}
