import { ConfigError } from '@wai/metrics-core';
import type { CachePluginHandle } from '../cache/hooks.js';
import type { Cache, GetOrSetOptions } from '../cache/types.js';
import type { CacheEntry } from '../tier.js';
import { createKeyedTasks } from '../refresh-ahead/keyed-tasks.js';
import { createSuccessorModel, type SuccessorModelOptions } from './successor-model.js';

export interface PredictivePreloadingOptions extends SuccessorModelOptions {
  /**
   * On/off switch. When absent, the environment variable `CACHE_PREDICTIVE_WARMING` decides ('true'/'1' on,
   * 'false'/'0' off); when that is unset too, it is on.
   * @default process.env.CACHE_PREDICTIVE_WARMING ?? true
   */
  enabled?: boolean;
  /** Least share of a key's successors a prediction needs before it is prefetched. @default 0.3 */
  minProbability?: number;
  /** Successors prefetched per access. @default 2 */
  maxPrefetch?: number;
  /** Prefetches running at once; predictions beyond it are skipped. @default 8 */
  maxInFlight?: number;
  /**
   * The guide's `prediction.modelUpdateInterval`: every this many ms the successor model is compacted — counts
   * halved, successors and keys at zero dropped — so predictions follow navigation that changes over time, not
   * only over `agingPeriod` observations (which a quiet period never reaches). Timer unref'd. @default none
   */
  modelUpdateInterval?: number;
  /** Environment to read `CACHE_PREDICTIVE_WARMING` from. @default process.env */
  env?: Record<string, string | undefined>;
}

export interface PredictiveStats {
  /** Prefetches started, ones that failed, and prefetched keys later requested while still cached. */
  prefetches: number;
  failures: number;
  usefulPrefetches: number;
  /** Keys in the successor model. */
  modelKeys: number;
}

export interface PredictivePreloadingPlugin {
  (cache: Cache): CachePluginHandle;
  readonly enabled: boolean;
  stats(): PredictiveStats;
  /** Resolves when no prefetch is running. */
  idle(): Promise<void>;
}

/** Reads `CACHE_PREDICTIVE_WARMING`; a value that is not a boolean is a config error naming the variable. */
export function predictiveWarmingFromEnv(env: Record<string, string | undefined>): boolean | undefined {
  const raw = env.CACHE_PREDICTIVE_WARMING;
  if (raw === undefined || raw === '') return undefined;
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1' || value === 'yes' || value === 'on') return true;
  if (value === 'false' || value === '0' || value === 'no' || value === 'off') return false;
  throw new ConfigError(`[wai:cache-tiers] CACHE_PREDICTIVE_WARMING must be true or false, got "${raw}"`);
}

/**
 * Predictive preloading: learns which key tends to follow which (a bounded successor model over the cache's
 * access stream) and, after each access, prefetches the likely next keys that have a remembered loader
 * (`getOrSet(…, { predictive: true })`) and are not in the cache, through `cache.refresh` (single-flight).
 * The sequence is the process-wide access order, so it learns navigation paths that recur across requests.
 */
export function predictivePreloading(options: PredictivePreloadingOptions = {}): PredictivePreloadingPlugin {
  const enabled = options.enabled ?? predictiveWarmingFromEnv(options.env ?? process.env) ?? true;
  const minProbability = options.minProbability ?? 0.3;
  const maxPrefetch = options.maxPrefetch ?? 2;
  const maxInFlight = options.maxInFlight ?? 8;
  if (!(minProbability >= 0 && minProbability <= 1)) throw new ConfigError(`[wai:cache-tiers] predictive \`minProbability\` must be in [0, 1], got ${String(minProbability)}`);
  for (const [name, value] of Object.entries({ maxPrefetch, maxInFlight })) {
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`[wai:cache-tiers] predictive \`${name}\` must be an integer >= 1, got ${String(value)}`);
  }
  const modelUpdateInterval = options.modelUpdateInterval;
  if (modelUpdateInterval !== undefined && !(Number.isInteger(modelUpdateInterval) && modelUpdateInterval >= 1)) {
    throw new ConfigError(`[wai:cache-tiers] predictive \`modelUpdateInterval\` must be an integer number of ms >= 1, got ${String(modelUpdateInterval)}`);
  }
  const model = createSuccessorModel(options);
  const inFlight = createKeyedTasks();
  // Prefetched keys not yet requested (bounded like the model), to count useful prefetches.
  const prefetched = new Set<string>();
  const stats = { prefetches: 0, failures: 0, usefulPrefetches: 0 };

  const plugin = ((cache: Cache): CachePluginHandle => {
    if (!enabled) return {};
    const l1 = cache.tiers[0]?.tier as { peekSync?: (key: string) => CacheEntry | undefined } | undefined;
    const peek = typeof l1?.peekSync === 'function' ? l1.peekSync.bind(l1) : undefined;
    let previous: string | undefined;
    let closed = false;
    // TTL and tags of each key's last write (bounded), so a prefetch stores the key as its own getOrSet would.
    const lastWrites = new Map<string, GetOrSetOptions>();

    const cached = async (key: string): Promise<boolean> => {
      const entry = peek ? peek(key) : await cache.getEntry(key);
      return entry !== undefined && entry.expiresAt > cache.clock.now();
    };

    const prefetch = (key: string): void => {
      if (closed || inFlight.has(key) || inFlight.size >= maxInFlight || cache.getLoader(key) === undefined) return;
      if (peek !== undefined && !cachedSyncMiss(key)) return;
      inFlight.run(
        key,
        async () => {
          if (await cached(key)) return;
          stats.prefetches++;
          await cache.refresh(key, lastWrites.get(key) ?? {});
          prefetched.add(key);
          if (prefetched.size > (options.maxKeys ?? 10_000)) prefetched.delete(prefetched.values().next().value as string);
        },
        () => void stats.failures++,
      );
    };

    /** With a sync L1 the presence check is free: skip keys already fresh in L1 without starting a task. */
    const cachedSyncMiss = (key: string): boolean => {
      const entry = peek?.(key);
      return entry === undefined || entry.expiresAt <= cache.clock.now();
    };

    const unsubscribe = cache.addHook({
      access(event) {
        if (prefetched.delete(event.key) && event.hit) stats.usefulPrefetches++;
        if (previous !== undefined) model.observe(previous, event.key);
        previous = event.key;
        let started = 0;
        for (const prediction of model.predict(event.key)) {
          if (started >= maxPrefetch || prediction.probability < minProbability) break;
          prefetch(prediction.key);
          started++;
        }
      },
      write(event) {
        if (event.op === 'set') {
          lastWrites.delete(event.key);
          lastWrites.set(event.key, { ttl: event.ttl, tags: event.tags });
          if (lastWrites.size > (options.maxKeys ?? 10_000)) lastWrites.delete(lastWrites.keys().next().value as string);
        } else if (event.op === 'clear') {
          prefetched.clear();
        }
      },
    });
    const compaction = modelUpdateInterval === undefined ? undefined : cache.clock.setInterval(() => model.age(), modelUpdateInterval);
    return {
      close: async () => {
        closed = true;
        compaction?.cancel();
        unsubscribe();
        await inFlight.idle();
      },
    };
  }) as PredictivePreloadingPlugin;
  Object.defineProperty(plugin, 'enabled', { value: enabled });
  plugin.stats = () => ({ ...stats, modelKeys: model.size });
  plugin.idle = () => inFlight.idle();
  return plugin;
}
