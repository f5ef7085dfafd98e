import type { Logger } from '@wai/metrics-core';
import type { CachePluginHandle } from '../cache/hooks.js';
import type { Cache } from '../cache/types.js';
import { createWarmingManager } from './warming-manager.js';

export interface CacheWarmingOptions {
  /** Run every enabled strategy on this interval (ms, timer unref'd); 0 = only on `warm()`. @default 0 */
  intervalMs?: number;
  /** @default silentLogger */
  logger?: Logger;
}

/**
 * Warming as a plugin of the cache: it serves `cache.addWarmingStrategy` / `warm` / `listWarmingStrategies`, and
 * every run is a fill (`beginFill` before the strategy reads, `fill` per key), so a run never overwrites a write
 * that happened while it read. `createCache` installs it unless `warming: false`.
 */
export function cacheWarming(options: CacheWarmingOptions = {}): (cache: Cache) => CachePluginHandle {
  return (cache) => {
    const manager = createWarmingManager({
      cache: {
        set: (key, value, setOptions) => cache.set(key, value, setOptions),
        beginFill: () => cache.beginFill(),
        fill: (token, key, value, setOptions) => cache.fill(token, key, value, setOptions),
      },
      intervalMs: options.intervalMs ?? 0,
      clock: cache.clock,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return { warming: manager, close: () => manager.close() };
  };
}
