import { type CacheStore, type PerformanceMonitor } from '@wai/metrics-core';
import { createMemoryCacheStore } from '@wai/metrics-core/http';

let defaultMonitor: PerformanceMonitor | undefined;
let defaultCacheStore: CacheStore | undefined;

/**
 * The monitor middleware report to when their options name none (the guide calls `enhancedRequestTiming()`
 * without arguments). `initializePerformanceSystem` sets it; `undefined` clears it.
 */
export function setDefaultMonitor(monitor: PerformanceMonitor | undefined): void {
  defaultMonitor = monitor;
}

export function getDefaultMonitor(): PerformanceMonitor | undefined {
  return defaultMonitor;
}

/** The store `intelligentCache` and `invalidateOnWrite` share when no `store` is given. */
export function setDefaultCacheStore(store: CacheStore | undefined): void {
  defaultCacheStore = store;
}

/** The default response store: the one set by `initializePerformanceSystem`, else one bounded in-memory store. */
export function getDefaultCacheStore(): CacheStore {
  defaultCacheStore ??= createMemoryCacheStore();
  return defaultCacheStore;
}
