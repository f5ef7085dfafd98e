/**
 * What the dashboard's cache routes need from a cache (warm, invalidate, clear).
 * Units: durations in milliseconds unless named `ttl` (seconds); rates are fractions 0..1 unless the name says
 * `Percent` (0..100).
 */
import type { CacheStatsSource } from './cache.js';

export interface WarmingResult {
  strategy: string;
  keysWarmed: number;
  durationMs: number;
  errors: string[];
}

/** What the dashboard's cache routes need (warm, invalidate). */
export interface CacheAdmin extends CacheStatsSource {
  /** Runs one strategy (unknown name → `WaiError` `E_NOT_FOUND`) or all enabled ones in priority order. */
  warm(strategy?: string): Promise<WarmingResult[]>;
  listWarmingStrategies?(): Array<{ name: string; description?: string; enabled: boolean; priority: number }>;
  delete(key: string): Promise<boolean>;
  invalidateByTag(tag: string): Promise<void>;
  clear(): Promise<void>;
}
