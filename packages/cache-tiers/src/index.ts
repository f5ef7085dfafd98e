// Explicit named exports only.

// ── composed cache ───────────────────────────────────────────────────────────────────────────────────────
export { createCache } from './cache.js';
export type {
  Cache,
  CacheEvents,
  CacheHook,
  CacheHookEvents,
  CacheOptions,
  CachePluginHandle,
  CircuitOptions,
  ComposedTier,
  FillToken,
  GetOrSetOptions,
  L1Options,
  L2Options,
  LeaseOptions,
  Loader,
  LoaderContext,
  RememberedLoader,
  SetOptions,
} from './cache.js';

// ── tiers ────────────────────────────────────────────────────────────────────────────────────────────────
export { isVersionedTier, type CacheEntry, type CacheTier, type SyncCacheTier, type TierName, type VersionedTier } from './tier.js';
export { createRedisTier, redisKeys, type RedisClient, type RedisKeys, type RedisTier, type RedisTierOptions } from './l2/index.js';
export {
  createPostgresTier,
  createSqlTier,
  createSqliteTier,
  type PgPool,
  type PgPoolOptions,
  type PostgresTier,
  type PostgresTierOptions,
  type SqliteTier,
  type SqliteTierOptions,
  type SqlTierCommonOptions,
  type SqlTierOptions,
  availableSqliteDrivers,
  openSqlite,
  SqliteDriverMissingError,
  toSqliteConnection,
  type OpenSqliteOptions,
  type SqliteConnection,
  type SqliteDatabaseHandle,
  type SqliteDriverName,
  type SqliteRow,
  type SqliteStatement,
} from './l3/index.js';
export { DEFAULT_FILL_WINDOW_MS } from './tag-store.js';

// ── building blocks ──────────────────────────────────────────────────────────────────────────────────────
export { createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';
export { createCodec, jsonSerializer, type Codec, type CodecOptions, type Serializer } from './serializer.js';
export { createSingleFlight, type SingleFlight } from './single-flight.js';
export { assertValidKey, assertValidTtl, MAX_KEY_LENGTH } from './errors.js';
export { parseBusMessage, type BusMessage } from './bus/index.js';

// ── L1 memory, analytics, warming, refresh-ahead, prediction, query cache, Redis stores (built by the other
//    cache-tiers area; listed here so the package entry exports them) ─────────────────────────────────────
export { createMemoryTier, type EvictionReason, type MemoryTier, type MemoryTierOptions } from './l1/index.js';
export { cacheAnalytics, createCacheAnalytics, type CacheAnalyticsCollector, type CacheAnalyticsOptions } from './analytics/cache-analytics.js';
export {
  createWarmingManager,
  type WarmEntry,
  type WarmingContext,
  type WarmingManager,
  type WarmingManagerOptions,
  type WarmingStrategy,
  type WarmingStrategyInfo,
} from './warming/warming-manager.js';
export { cacheWarming, type CacheWarmingOptions } from './warming/warming-plugin.js';
export type { WarmingApi } from './cache/warming-contract.js';
export { refreshAhead, type RefreshAheadOptions, type RefreshAheadPlugin, type RefreshAheadStats } from './refresh-ahead/refresh-ahead.js';
export {
  predictivePreloading,
  predictiveWarmingFromEnv,
  type PredictivePreloadingOptions,
  type PredictivePreloadingPlugin,
  type PredictiveStats,
} from './predictive/predictive-preloading.js';
export { createQueryCache, type QueryCache, type QueryCacheOptions, type QueryOptions, type QueryRunner } from './query-cache/query-cache.js';
export { redisRateLimitStore, type RedisRateLimitStore, type RedisRateLimitStoreOptions } from './redis-rate-limit-store.js';
