import type { CacheSetOptions } from '@wai/metrics-core';

export interface SetOptions extends CacheSetOptions {
  /** Seconds. @default the cache's defaultTTL */
  ttl?: number;
  tags?: readonly string[];
  /** L1 eviction weight. @default 'medium' */
  priority?: 'low' | 'medium' | 'high';
  /** Fail-safe window (seconds) for this entry. @default the cache's grace */
  grace?: number;
}

/**
 * Where a fill began (see `Cache.beginFill`): this process's invalidation counter and each shared tier's version
 * at that moment. Opaque to callers: pass it back to `fill` unchanged.
 */
export interface FillToken {
  readonly local: number;
  /** Per remote tier (L2, L3 order); undefined where the version could not be read (that tier is not filled). */
  readonly remote: ReadonlyArray<number | undefined>;
  /** Monotonic ms when the fill began: fills older than a tier's `fillWindow` are not stored there. */
  readonly startedAt: number;
}
