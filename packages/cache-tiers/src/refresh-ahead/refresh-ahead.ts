import { ConfigError } from '@wai/metrics-core';
import type { CachePluginHandle } from '../cache/hooks.js';
import type { Cache, GetOrSetOptions } from '../cache/types.js';
import type { CacheEntry } from '../tier.js';
import { createKeyedTasks } from './keyed-tasks.js';

export interface RefreshAheadOptions {
  /**
   * Share of an entry's TTL after which a hit on a hot key reloads it in the background.
   * @default 0.8
   */
  threshold?: number;
  /** Hits since the last write that make a key hot enough to refresh. @default 2 */
  minHits?: number;
  /** Background reloads running at once; further candidates wait for their next hit. @default 4 */
  maxConcurrent?: number;
  /** Keys whose hit counts are tracked (least recently written dropped first). @default 10000 */
  maxTrackedKeys?: number;
}

export interface RefreshAheadStats {
  /** Background reloads started / failed. */
  refreshes: number;
  failures: number;
}

/** The plugin, with its counters and a way to wait for background reloads (tests, graceful shutdown). */
export interface RefreshAheadPlugin {
  (cache: Cache): CachePluginHandle;
  stats(): RefreshAheadStats;
  /** Resolves when no background reload is running. */
  idle(): Promise<void>;
}

/**
 * Refresh-ahead: a hit on a hot key (≥ `minHits` hits since it was written) whose age passed `threshold` of its
 * TTL reloads it in the background with its remembered loader (`getOrSet(…, { predictive: true })` or the cache's
 * `rememberLoaders`), through `cache.refresh` (single-flight), so popular keys are replaced before they expire
 * and their readers never see a miss. Caffeine calls this `refreshAfterWrite`.
 */
export function refreshAhead(options: RefreshAheadOptions = {}): RefreshAheadPlugin {
  const threshold = options.threshold ?? 0.8;
  // Without an explicit minHits, "hot" is what the cache was told it is (the guide's L1.hotKeyThreshold).
  const explicitMinHits = options.minHits;
  const maxConcurrent = options.maxConcurrent ?? 4;
  const maxTrackedKeys = options.maxTrackedKeys ?? 10_000;
  if (!(threshold > 0 && threshold < 1)) throw new ConfigError(`[wai:cache-tiers] refreshAhead \`threshold\` must be between 0 and 1 (exclusive), got ${String(threshold)}`);
  for (const [name, value] of Object.entries({ minHits: explicitMinHits ?? 2, maxConcurrent, maxTrackedKeys })) {
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`[wai:cache-tiers] refreshAhead \`${name}\` must be an integer >= 1, got ${String(value)}`);
  }
  const stats: RefreshAheadStats = { refreshes: 0, failures: 0 };
  const inFlight = createKeyedTasks();

  const plugin = ((cache: Cache): CachePluginHandle => {
    const minHits = explicitMinHits ?? cache.options.hotKeyThreshold ?? 2;
    const hits = new Map<string, number>();
    const l1 = cache.tiers[0]?.tier as { peekSync?: (key: string) => CacheEntry | undefined } | undefined;
    const peek = typeof l1?.peekSync === 'function' ? l1.peekSync.bind(l1) : undefined;
    let closed = false;

    const due = (entry: CacheEntry | undefined): boolean => {
      if (entry === undefined || !Number.isFinite(entry.expiresAt)) return false;
      const now = cache.clock.now();
      return now < entry.expiresAt && now >= entry.createdAt + threshold * (entry.expiresAt - entry.createdAt);
    };

    const start = (key: string): void => {
      if (closed || inFlight.has(key) || inFlight.size >= maxConcurrent || cache.getLoader(key) === undefined) return;
      stats.refreshes++;
      inFlight.run(
        key,
        async () => {
          const entry = peek ? peek(key) : await cache.getEntry(key);
          if (entry === undefined || !due(entry)) {
            stats.refreshes--;
            return;
          }
          // Reload with the entry's own TTL, tags and priority (not the cache's defaults).
          const refreshOptions: GetOrSetOptions = { ttl: (entry.expiresAt - entry.createdAt) / 1000, tags: entry.tags };
          if (entry.priority !== undefined) refreshOptions.priority = entry.priority;
          await cache.refresh(key, refreshOptions);
        },
        () => void stats.failures++,
      );
    };

    const unsubscribe = cache.addHook({
      access(event) {
        if (!event.hit) return;
        const count = (hits.get(event.key) ?? 0) + 1;
        hits.set(event.key, count);
        if (count < minHits) return;
        // With a sync L1 the age check costs nothing; without one it is made (async) only for hot keys.
        if (peek !== undefined && !due(peek(event.key))) return;
        start(event.key);
      },
      write(event) {
        if (event.op === 'set' || event.op === 'delete') {
          hits.delete(event.key);
          if (event.op === 'set') {
            hits.set(event.key, 0);
            if (hits.size > maxTrackedKeys) hits.delete(hits.keys().next().value as string);
          }
        } else if (event.op === 'clear') {
          hits.clear();
        }
      },
    });
    return {
      close: async () => {
        closed = true;
        unsubscribe();
        await inFlight.idle();
      },
    };
  }) as RefreshAheadPlugin;
  plugin.stats = () => ({ ...stats });
  plugin.idle = () => inFlight.idle();
  return plugin;
}
