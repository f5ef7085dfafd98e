import type { WarmingResult } from '@wai/metrics-core';
import type { SetOptions } from './set-options.js';

/** What a strategy's `warmupFunction` writes through: it counts keys warmed and keeps them inside `patterns`. */
export interface WarmingContext {
  /** Stores one entry in the cache. A key outside the strategy's `patterns` is refused (reported in `errors`). */
  set(key: string, value: unknown, options?: SetOptions): Promise<void>;
  /** The strategy's name. */
  readonly strategy: string;
  /** Aborted when the strategy times out or the manager closes: stop early. */
  readonly signal: AbortSignal;
}

export interface WarmingStrategy {
  name: string;
  description?: string;
  /** Disabled strategies run only when named explicitly in `warm(name)`. @default true */
  enabled?: boolean;
  /** Glob patterns (`*` = any run of characters) the warmed keys must match, e.g. `['workshop:popular:*']`. @default ['*'] */
  patterns?: readonly string[];
  /** Higher runs first. @default 0 */
  priority?: number;
  /**
   * Loads data and writes it through `context.set`, or returns entries for the manager to store
   * (`[{ key, value, ttl?, tags? }]`).
   */
  warmupFunction: (context: WarmingContext) => Promise<void | Iterable<WarmEntry>> | void | Iterable<WarmEntry>;
  /** Ms after which the strategy is abandoned (reported as an error; the others still run). @default 30000 */
  timeoutMs?: number;
}

export interface WarmEntry extends SetOptions {
  key: string;
  value: unknown;
}

export interface WarmingStrategyInfo {
  name: string;
  description?: string;
  enabled: boolean;
  priority: number;
  patterns: readonly string[];
}

/** What the cache offers for warming (`cache.addWarmingStrategy`, `cache.warm`, …), supplied by a warming plugin. */
export interface WarmingApi {
  addWarmingStrategy(strategy: WarmingStrategy): void;
  /** False when no strategy had that name. */
  removeWarmingStrategy(name: string): boolean;
  /**
   * Runs the named strategy (unknown → `NotFoundError` E_NOT_FOUND), or every enabled one in priority order.
   * A strategy that throws or times out is reported in its result's `errors`; the others still run. A strategy
   * already running is joined, not started twice.
   */
  warm(name?: string): Promise<WarmingResult[]>;
  listWarmingStrategies(): WarmingStrategyInfo[];
}
