import type { CacheAnalytics, CacheTierAnalytics } from '@wai/metrics-core';
import type { CacheHook } from './hooks.js';

/** Plain counters of one tier; the cache increments them directly on its read paths. */
export interface TierCounters {
  hits: number;
  misses: number;
  errors: number;
  /** Sum of the sampled read latencies (ms) and how many reads were sampled. */
  latencyTotal: number;
  latencySamples: number;
}

/** The cache-level answer counters (get/getOrSet), incremented directly by the cache. */
export interface AccessCounters {
  hits: number;
  misses: number;
}

export interface BasicStats {
  /** Fed through the same hook API any analytics plugin uses (loads, stampedes, evictions, errors, states). */
  hook: CacheHook;
  access: AccessCounters;
  tier(name: string): TierCounters;
  snapshot(): CacheAnalytics;
}

/**
 * The cache's own minimal counters. Reads (the hot path) bump plain counters rather than going through hooks,
 * and their latency is sampled by the caller (an L1 hit costs ~30 ns: timing every one would double it). Richer
 * analytics (top keys, access patterns, miss-ratio curves) plug in through `CacheOptions.plugins`.
 */
export function createBasicStats(tierNames: readonly string[]): BasicStats {
  const fresh = (): TierCounters => ({ hits: 0, misses: 0, errors: 0, latencyTotal: 0, latencySamples: 0 });
  const tiers = new Map<string, TierCounters>(tierNames.map((name) => [name, fresh()]));
  const tier = (name: string) => {
    let counters = tiers.get(name);
    if (!counters) tiers.set(name, (counters = fresh()));
    return counters;
  };
  const access: AccessCounters = { hits: 0, misses: 0 };
  let loadCalls = 0;
  let loadErrors = 0;
  let loadLatency = 0;
  let stampedesPrevented = 0;
  let evictions = 0;
  let connectionErrors = 0;
  const down = new Set<string>();
  const hook: CacheHook = {
    load: (event) => {
      loadCalls++;
      loadLatency += event.latencyMs;
      if (event.error !== undefined) loadErrors++;
    },
    stampedePrevented: () => void stampedesPrevented++,
    evict: () => void evictions++,
    tierError: (event) => {
      tier(event.tier).errors++;
      if (event.tier !== 'l1') connectionErrors++;
    },
    tierState: (event) => (event.up ? down.delete(event.tier) : down.add(event.tier)),
  };
  return {
    hook,
    access,
    tier,
    snapshot() {
      const perTier: Record<string, CacheTierAnalytics> = {};
      for (const [name, counters] of tiers) {
        const reads = counters.hits + counters.misses;
        perTier[name] = {
          hits: counters.hits,
          misses: counters.misses,
          hitRate: reads === 0 ? 0 : counters.hits / reads,
          errors: counters.errors,
          latencyAvgMs: counters.latencySamples === 0 ? 0 : counters.latencyTotal / counters.latencySamples,
          available: !down.has(name),
        };
      }
      const { hits, misses } = access;
      const total = hits + misses;
      return {
        hits,
        misses,
        hitRate: total === 0 ? 0 : hits / total,
        tiers: perTier,
        loads: { calls: loadCalls, errors: loadErrors, latencyAvgMs: loadCalls === 0 ? 0 : loadLatency / loadCalls },
        stampedesPrevented,
        evictions,
        connectionErrors,
      };
    },
  };
}
