/**
 * What a cache offers its users and the monitor: the store HTTP caching needs and the analytics the anomaly analyzer reads
 * (`missRatioCurve` and `config` are read by @wai/anomaly's cache findings, so they belong to the contract).
 * Units: durations in milliseconds unless named `ttl` (seconds); rates are fractions 0..1 unless the name says
 * `Percent` (0..100).
 */

export interface CacheSetOptions {
  /** Seconds. */
  ttl?: number;
  tags?: readonly string[];
}

/** Where a fill began (see `CacheStore.beginFill`); opaque, passed back to `fill` unchanged. */
export interface FillToken {
  /** Monotonic ms when the fill began. */
  readonly startedAt: number;
}

/** What HTTP response caching needs from a cache; any @wai cache or a user's own store fits. */
export interface CacheStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /**
   * Optional, for in-process stores: what `get` would resolve with, returned directly. The response cache then
   * answers a stored hit without a promise per request (it falls back to `get` when this is absent or throws).
   */
  getSync?<T = unknown>(key: string): T | undefined;
  set<T = unknown>(key: string, value: T, options?: CacheSetOptions): Promise<void>;
  delete(key: string): Promise<boolean>;
  invalidateByTag(tag: string): Promise<void>;
  /**
   * Optional (both or neither): `beginFill` before reading what will be stored, `fill` to store it unless the key
   * or one of its tags was written or invalidated since (false, nothing stored). The response cache uses them so
   * a response computed before a write never lands after it; a store without them gets a plain `set`, which
   * carries no such guarantee.
   */
  beginFill?(): Promise<FillToken>;
  fill?<T = unknown>(token: FillToken, key: string, value: T, options?: CacheSetOptions): Promise<boolean>;
}

export interface CacheTierAnalytics {
  hits: number;
  misses: number;
  hitRate: number;
  errors: number;
  /** Mean / p99 latency of reads in ms, when measured. */
  latencyAvgMs?: number;
  latencyP99Ms?: number;
  /** Entries and bytes held, when known. */
  size?: number;
  memoryBytes?: number;
  evictions?: number;
  available?: boolean;
}

export interface CacheAnalytics {
  hits: number;
  misses: number;
  /** Overall hit rate 0..1 (a hit in any tier counts). */
  hitRate: number;
  tiers: Record<string, CacheTierAnalytics>;
  loads?: { calls: number; errors: number; latencyAvgMs: number; latencyP99Ms?: number };
  stampedesPrevented?: number;
  evictions?: number;
  memoryBytes?: number;
  /** Most accessed keys; `hot` when the count reached the cache's `hotKeyThreshold` (when one is set). */
  topKeys?: Array<{ key: string; count: number; hot?: boolean }>;
  accessPatterns?: Array<{ prefix: string; requests: number; hitRate: number; expiredWhileHot?: number; ttlEffectiveness?: number }>;
  /** A sample of the key access stream for miss-ratio-curve estimates (e.g. SHARDS), when collected. */
  missRatioCurve?: Array<{ size: number; hitRate: number }>;
  /** Capacity settings, so recommendations can name the current value. */
  config?: { l1MaxSize?: number; l1MaxMemory?: number; hotKeyThreshold?: number };
  /** Connection failures of the cache's backends (e.g. Redis down), surfaced by the monitor's alert rules. */
  connectionErrors?: number;
}

export interface CacheStatsSource {
  getAnalytics(): CacheAnalytics;
}
