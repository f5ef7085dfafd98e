import type { EventEmitter } from 'node:events';
import type { CacheAdmin, CacheAnalytics, CacheStatsSource, CacheStore, Clock, WarmingResult } from '@wai/metrics-core';
import type { WarmingStrategy, WarmingStrategyInfo } from './warming-contract.js';
import type { FillToken, SetOptions } from './set-options.js';
import type { CacheEntry, CacheTier, TierName } from '../tier.js';
import type { CacheHook } from './hooks.js';
import type { RememberedLoader } from './loader-registry.js';

export type { FillToken, SetOptions } from './set-options.js';
export type { WarmEntry, WarmingApi, WarmingContext, WarmingStrategy, WarmingStrategyInfo } from './warming-contract.js';

export interface GetOrSetOptions extends SetOptions {
  /** Remember the loader so refresh-ahead / prediction can call it again. @default false */
  predictive?: boolean;
  /** @default the cache's softTimeout */
  softTimeout?: number;
  /** @default the cache's hardTimeout */
  hardTimeout?: number;
  /** Use the cross-instance lease for this call. @default the cache's `lease` setting */
  lease?: boolean;
}

export interface LoaderContext<T> {
  key: string;
  /** The stale value being replaced, when there is one. */
  stale: T | undefined;
}

export type Loader<T> = (context: LoaderContext<T>) => T | Promise<T>;

export interface CacheEvents {
  hit: [key: string, tier: TierName];
  miss: [key: string];
  set: [key: string];
  evict: [key: string, tier: TierName, reason: string];
  error: [error: Error];
  'tier:down': [tier: TierName, error: unknown];
  'tier:up': [tier: TierName];
}

/** A tier as composed in the cache, for plugins that need to look at it. */
export interface ComposedTier {
  readonly tier: CacheTier;
  readonly name: TierName;
  /** 'closed' when healthy. */
  readonly circuit: 'closed' | 'open' | 'half-open';
}

export interface Cache extends CacheStore, CacheStatsSource, CacheAdmin, EventEmitter<CacheEvents> {
  readonly namespace: string;
  /** This instance's id on the bus and in leases. */
  readonly instanceId: string;
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** The stored entry (fresh or stale) with its metadata, without loading. */
  getEntry<T = unknown>(key: string): Promise<CacheEntry<T> | undefined>;
  set<T = unknown>(key: string, value: T, options?: SetOptions): Promise<void>;
  getOrSet<T>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T>;
  /**
   * Starts a fill: call it before reading the data you will store with `fill` (a response cache before running the
   * handler, a warming run before its query). Costs one round trip per shared tier.
   */
  beginFill(): Promise<FillToken>;
  /**
   * Stores `value` as `set` would, unless the key, one of `options.tags`, or the whole cache was written or
   * invalidated — by this instance or another — after `token` was taken: then nothing is stored in any tier
   * and it resolves false. `getOrSet` and warming fill this way.
   */
  fill<T = unknown>(token: FillToken, key: string, value: T, options?: SetOptions): Promise<boolean>;
  /** Deletes the key everywhere; true when a valid (fresh or stale) entry existed. */
  delete(key: string): Promise<boolean>;
  invalidateByTag(tag: string): Promise<void>;
  clear(): Promise<void>;
  /** Loads `key` again with its remembered loader (refresh-ahead); false when none is remembered. */
  refresh(key: string, options?: GetOrSetOptions): Promise<boolean>;
  getAnalytics(): CacheAnalytics;
  /** Registers a warming strategy (see `WarmingStrategy`: name, patterns, priority, warmupFunction). */
  addWarmingStrategy(strategy: WarmingStrategy): void;
  removeWarmingStrategy(name: string): boolean;
  /** Runs one strategy (unknown name → `E_NOT_FOUND`) or every enabled one in priority order. */
  warm(strategy?: string): Promise<WarmingResult[]>;
  listWarmingStrategies(): WarmingStrategyInfo[];
  /** Subscribes to internal events (see `CacheHookEvents`); returns the unsubscribe function. */
  addHook(hook: CacheHook): () => void;
  /** The loader remembered for `key` (see `predictive` / `rememberLoaders`). */
  getLoader(key: string): RememberedLoader | undefined;
  /** Keys with a remembered loader, least recently remembered first. */
  rememberedKeys(): IterableIterator<string>;
  /**
   * Resolves once the bus / lease subscriptions are in place (or have failed and been reported): messages
   * published before that are not seen by this instance. Immediately when neither `bus` nor `lease` is on.
   */
  ready(): Promise<void>;
  readonly tiers: readonly ComposedTier[];
  readonly clock: Clock;
  /** Settings plugins read: `hotKeyThreshold` is the guide's `L1.hotKeyThreshold` when one was given. */
  readonly options: { readonly extensions: Readonly<Record<string, unknown>>; readonly defaultTTL: number; readonly hotKeyThreshold?: number };
  close(): Promise<void>;
}
