import { ConfigError, QuantileSketch, systemClock, type CacheAnalytics, type Clock } from '@wai/metrics-core';
import type { CacheHook, CachePluginHandle } from '../cache/hooks.js';
import type { Cache } from '../cache/types.js';
import { createMissRatioCurve } from './shards-mrc.js';
import { createTopKeys } from './space-saving.js';

export interface CacheAnalyticsOptions {
  /**
   * Groups keys for `accessPatterns`: the part before the `prefixDepth`-th separator (`user:123:profile` →
   * `user` at depth 1, `user:123` at depth 2).
   * @default 1
   */
  prefixDepth?: number;
  /** @default ':' */
  separator?: string;
  /** Most prefixes tracked; later ones are counted under `(other)`. @default 100 */
  maxPrefixes?: number;
  /** Keys monitored by the Space-Saving top-k. @default 256 */
  topKeysCapacity?: number;
  /** Keys returned in `topKeys`. @default 10 */
  topKeysLimit?: number;
  /** Recently written keys remembered to tell "expired while still requested" misses apart. @default 10000 */
  maxTrackedWrites?: number;
  /** SHARDS sampling rate for `missRatioCurve`. @default 0.01 */
  mrcRate?: number;
  /** SHARDS sampled keys kept. @default 4096 */
  mrcMaxTracked?: number;
  /** Sizes (entries) for `missRatioCurve`. @default ¼, ½, 1, 2, 4 and 8 × L1 `maxSize` (or 256 … 32768 without L1) */
  mrcSizes?: readonly number[];
  /**
   * Count every access and time every L1 read (the `access` / `tierAccess` hooks) instead of the cache's sample
   * (`accessSample` / `tierAccessSample`: one hit in `accessSamplePeriod`, every miss, one L1 read in 64). Exact
   * counts cost the L1-hit path several times its own time; the sample keeps it within a few percent, and its
   * counts are unbiased estimates (each sampled hit counts `accessSamplePeriod` times). The miss-ratio curve,
   * which needs each key's reuse distances, is an estimate that leans towards more misses under sampling.
   * @default false
   */
  exact?: boolean;
  /** Accesses after which a key in `topKeys` is marked `hot`. @default the cache's `l1.hotKeyThreshold` (none: no mark) */
  hotKeyThreshold?: number;
  /** @default the cache's clock (systemClock standalone) */
  clock?: Clock;
}

interface PrefixStats {
  requests: number;
  hits: number;
  misses: number;
  expiredWhileHot: number;
}

/** What the collector adds to the cache's own counters (see `extend`). */
export interface CacheAnalyticsCollector {
  /** Subscribe it with `cache.addHook(collector.hook)` (the plugin form does this for you). */
  readonly hook: CacheHook;
  /** Adds p99 latencies, `topKeys`, `accessPatterns`, `missRatioCurve` and `config` to a base snapshot. */
  extend(base: CacheAnalytics): CacheAnalytics;
  reset(): void;
}

const OTHER_PREFIX = '(other)';

/**
 * Collects per-key-prefix traffic, top keys, latency quantiles and a miss-ratio curve from the cache's hooks.
 * "TTL effectiveness" per prefix is the share of misses that were NOT a key requested again after its TTL ran
 * out (within one more TTL): a low value says the prefix's TTL is shorter than its reuse interval.
 */
export function createCacheAnalytics(options: CacheAnalyticsOptions = {}, l1Config: { maxSize?: number; maxMemory?: number } = {}): CacheAnalyticsCollector {
  const prefixDepth = options.prefixDepth ?? 1;
  const separator = options.separator ?? ':';
  const maxPrefixes = options.maxPrefixes ?? 100;
  const topKeysLimit = options.topKeysLimit ?? 10;
  const hotKeyThreshold = options.hotKeyThreshold;
  if (hotKeyThreshold !== undefined && !(Number.isInteger(hotKeyThreshold) && hotKeyThreshold >= 1)) {
    throw new ConfigError(`[wai:cache-tiers] analytics hotKeyThreshold must be an integer >= 1 (accesses), got ${String(hotKeyThreshold)}`);
  }
  const maxTrackedWrites = options.maxTrackedWrites ?? 10_000;
  const clock = options.clock ?? systemClock;
  const topKeys = createTopKeys(options.topKeysCapacity ?? 256);
  const mrc = createMissRatioCurve({ rate: options.mrcRate ?? 0.01, maxTracked: options.mrcMaxTracked ?? 4096 });
  const mrcSizes =
    options.mrcSizes ?? (l1Config.maxSize !== undefined ? [0.25, 0.5, 1, 2, 4, 8].map((factor) => Math.max(1, Math.round(factor * (l1Config.maxSize ?? 0)))) : [256, 1024, 4096, 16384, 32768]);
  const prefixes = new Map<string, PrefixStats>();
  const tierLatency = new Map<string, QuantileSketch>();
  const loadLatency = new QuantileSketch();
  // key → { expiresAt, ttlMs } of recent writes, least recently written first (bounded).
  const writes = new Map<string, { expiresAt: number; ttlMs: number }>();

  const prefixOf = (key: string): string => {
    let end = -1;
    for (let depth = 0; depth < prefixDepth; depth++) {
      const next = key.indexOf(separator, end + 1);
      if (next === -1) return end === -1 ? key : key.slice(0, end);
      end = next;
    }
    return key.slice(0, end);
  };

  const statsFor = (key: string): PrefixStats => {
    const prefix = prefixOf(key);
    let stats = prefixes.get(prefix);
    if (stats === undefined) {
      const name = prefixes.size >= maxPrefixes ? OTHER_PREFIX : prefix;
      stats = prefixes.get(name);
      if (stats === undefined) prefixes.set(name, (stats = { requests: 0, hits: 0, misses: 0, expiredWhileHot: 0 }));
    }
    return stats;
  };

  const onAccess = (event: { key: string; hit: boolean; weight?: number }) => {
    const weight = event.weight ?? 1;
    const stats = statsFor(event.key);
    stats.requests += weight;
    topKeys.offer(event.key, weight);
    mrc.access(event.key);
    if (event.hit) {
      stats.hits += weight;
      return;
    }
    stats.misses += weight;
      const written = writes.get(event.key);
      if (written !== undefined) {
        const now = clock.now();
        if (written.expiresAt <= now && now - written.expiresAt <= written.ttlMs) stats.expiredWhileHot++;
      if (written.expiresAt <= now) writes.delete(event.key);
    }
  };
  const onTierAccess = (event: { tier: string; latencyMs: number }) => {
    let sketch = tierLatency.get(event.tier);
    if (sketch === undefined) tierLatency.set(event.tier, (sketch = new QuantileSketch()));
    sketch.add(event.latencyMs);
  };

  const hook: CacheHook = {
    ...(options.exact ? { access: onAccess, tierAccess: onTierAccess } : { accessSample: onAccess, tierAccessSample: onTierAccess }),
    load(event) {
      loadLatency.add(event.latencyMs);
    },
    write(event) {
      if (event.op === 'set') {
        writes.delete(event.key);
        if (Number.isFinite(event.ttl) && event.ttl > 0) {
          writes.set(event.key, { expiresAt: clock.now() + event.ttl * 1000, ttlMs: event.ttl * 1000 });
          if (writes.size > maxTrackedWrites) writes.delete(writes.keys().next().value as string);
        }
      } else if (event.op === 'delete') {
        writes.delete(event.key);
      } else if (event.op === 'clear') {
        writes.clear();
      }
    },
  };

  return {
    hook,
    extend(base) {
      const tiers: CacheAnalytics['tiers'] = {};
      for (const [name, tier] of Object.entries(base.tiers)) {
        const sketch = tierLatency.get(name);
        tiers[name] = sketch !== undefined && sketch.count > 0 ? { ...tier, latencyP99Ms: sketch.quantile(0.99) } : tier;
      }
      const analytics: CacheAnalytics = {
        ...base,
        tiers,
        topKeys: topKeys.top(topKeysLimit).map(({ key, count }) => (hotKeyThreshold === undefined ? { key, count } : { key, count, hot: count >= hotKeyThreshold })),
        accessPatterns: [...prefixes]
          .map(([prefix, stats]) => ({
            prefix,
            requests: stats.requests,
            hitRate: stats.requests === 0 ? 0 : stats.hits / stats.requests,
            expiredWhileHot: stats.expiredWhileHot,
            ttlEffectiveness: stats.misses === 0 ? 1 : 1 - stats.expiredWhileHot / stats.misses,
          }))
          .sort((a, b) => b.requests - a.requests),
        missRatioCurve: mrc.curve(mrcSizes),
      };
      if (base.loads !== undefined && loadLatency.count > 0) analytics.loads = { ...base.loads, latencyP99Ms: loadLatency.quantile(0.99) };
      const config: NonNullable<CacheAnalytics['config']> = { ...base.config };
      if (l1Config.maxSize !== undefined) config.l1MaxSize = l1Config.maxSize;
      if (l1Config.maxMemory !== undefined) config.l1MaxMemory = l1Config.maxMemory;
      if (hotKeyThreshold !== undefined) config.hotKeyThreshold = hotKeyThreshold;
      if (Object.keys(config).length > 0) analytics.config = config;
      return analytics;
    },
    reset() {
      topKeys.clear();
      mrc.clear();
      prefixes.clear();
      tierLatency.clear();
      loadLatency.clear();
      writes.clear();
    },
  };
}

/**
 * The analytics collector as a `createCache` plugin: `createCache({ plugins: [cacheAnalytics()] })`, then
 * `cache.getAnalytics()` carries `topKeys`, `accessPatterns`, `missRatioCurve` and p99 latencies.
 */
export function cacheAnalytics(options: CacheAnalyticsOptions = {}): (cache: Cache) => CachePluginHandle {
  const plugin = (cache: Cache): CachePluginHandle => {
    const l1 = cache.tiers[0]?.tier as { name?: string; maxSize?: unknown; maxMemory?: unknown } | undefined;
    const l1Config: { maxSize?: number; maxMemory?: number } = {};
    if (l1?.name === 'l1' && typeof l1.maxSize === 'number') l1Config.maxSize = l1.maxSize;
    if (l1?.name === 'l1' && typeof l1.maxMemory === 'number') l1Config.maxMemory = l1.maxMemory;
    const hotKeyThreshold = options.hotKeyThreshold ?? cache.options.hotKeyThreshold;
    const collector = createCacheAnalytics({ clock: cache.clock, ...options, ...(hotKeyThreshold === undefined ? {} : { hotKeyThreshold }) }, l1Config);
    const unsubscribe = cache.addHook(collector.hook);
    return {
      analytics: (base) => collector.extend(base),
      close: unsubscribe,
    };
  };
  return Object.assign(plugin, { [ANALYTICS_PLUGIN]: true });
}

const ANALYTICS_PLUGIN = Symbol.for('wai.cache-tiers.analytics-plugin');

/** True for a plugin made by `cacheAnalytics()`: `createCache` then leaves out its default analytics. */
export function isAnalyticsPlugin(plugin: unknown): boolean {
  return typeof plugin === 'function' && Reflect.get(plugin, ANALYTICS_PLUGIN) === true;
}
