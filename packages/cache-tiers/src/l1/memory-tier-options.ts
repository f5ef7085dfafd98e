import type { Clock } from '@wai/metrics-core';
import type { CacheEntry, SyncCacheTier, TierName } from '../tier.js';

/** Why L1 dropped an entry on its own (explicit deletes, tag deletes and `clear` are not evictions). */
export type EvictionReason = 'capacity' | 'memory' | 'expired' | 'admission';

export interface MemoryTierOptions {
  /** @default 'l1' */
  name?: TierName;
  /**
   * Maximum number of entries.
   * @default 1000
   */
  maxSize?: number;
  /**
   * Maximum estimated bytes held (see `estimate-size.ts` for the estimate, made once per entry at set time).
   * An entry larger than this on its own is not stored.
   * @default 67_108_864 (64 MiB)
   */
  maxMemory?: number;
  /**
   * TinyLFU admission: an entry leaving the small LRU window enters the main segment only when the frequency
   * sketch says it is used more often than the entry it would evict, so one-hit scans cannot flush hot keys.
   * The main segment is then a segmented LRU (probation → protected on a second hit). With `false` the tier is
   * a plain LRU (window + one list).
   *
   * Off by default: the hit-rate rows of bench/cache-tiers.bench.ts (capacity 1,000) show admission ahead of LRU
   * on Zipf(0.9) and with one-hit scans mixed in, but behind it on recency-heavy traces (a sliding working set, the
   * LRU stack-distance model) by more than the 1 point a default may lose. Turn it on for skewed, scan-prone
   * workloads (catalogue pages, crawlers).
   * @default false
   */
  admission?: boolean;
  /**
   * Share of `maxSize` (and of `maxMemory`) given to the LRU admission window (W-TinyLFU's window).
   * @default 0.01
   */
  windowRatio?: number;
  /**
   * Fraction 0..1 of each entry's TTL by which L1 may expire it early, chosen at random per entry, so copies
   * written at the same moment on many instances do not all go stale together. `staleUntil` is not moved.
   * @default 0
   */
  ttlJitter?: number;
  /**
   * Deep-freeze stored values (`Object.freeze`), so a caller mutating a value read from L1 throws in strict
   * mode instead of silently changing what every later reader sees.
   * @default false
   */
  freeze?: boolean;
  /** Called after L1 dropped an entry on its own. Must not throw (errors are swallowed). */
  onEvict?: (key: string, reason: EvictionReason, entry: CacheEntry) => void;
  /**
   * Interval in ms of a sweep that drops entries past `staleUntil` (reads drop them lazily as well); 0 disables.
   * @default 60_000
   */
  purgeIntervalMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Random source for `ttlJitter`, 0 ≤ x < 1. @default Math.random */
  random?: () => number;
}

/** L1 with its extra introspection. */
export interface MemoryTier extends SyncCacheTier {
  readonly maxSize: number;
  readonly maxMemory: number;
  /** Entries dropped on L1's own initiative since creation (see `EvictionReason`). */
  readonly evictions: number;
  /** The entry without counting an access or moving it (for refresh-ahead and analytics). */
  peekSync(key: string): CacheEntry | undefined;
  /** Keys currently held (including entries past `staleUntil` not yet swept). */
  keys(): IterableIterator<string>;
  /** Drops every entry past `staleUntil`; returns how many. */
  purgeExpired(): number;
}
