import type { CacheAnalytics, CacheTierAnalytics } from '@wai/metrics-core';
import type { CacheHook } from './hooks.js';

interface TierCounters {
  hits: number;
  misses: number;
  errors: number;
  latencyTotal: number;
  reads: number;
}

/**
 * The cache's own minimal counters, fed through the same hook API any analytics plugin uses. Richer analytics
 * (top keys, access patterns, miss-ratio curves) plug in through `CacheOptions.plugins`.
 */
export function createBasicStats(tierNames: readonly string[]): { hook: CacheHook; snapshot(): CacheAnalytics } {
  const tiers = new Map<string, TierCounters>(tierNames.map((name) => [name, { hits: 0, misses: 0, errors: 0, latencyTotal: 0, reads: 0 }]));
  const tier = (name: string) => {
    let counters = tiers.get(name);
    if (!counters) tiers.set(name, (counters = { hits: 0, misses: 0, errors: 0, latencyTotal: 0, reads: 0 }));
    return counters;
  };
  let hits = 0;
  let misses = 0;
  let loadCalls = 0;
  let loadErrors = 0;
  let loadLatency = 0;
  let stampedesPrevented = 0;
  let evictions = 0;
  let connectionErrors = 0;
  const down = new Set<string>();
  const hook: CacheHook = {
    access: (event) => (event.hit ? hits++ : misses++),
    tierAccess: (event) => {
      const counters = tier(event.tier);
      if (event.hit) counters.hits++;
      else counters.misses++;
      counters.reads++;
      counters.latencyTotal += event.latencyMs;
    },
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
    snapshot() {
      const perTier: Record<string, CacheTierAnalytics> = {};
      for (const [name, counters] of tiers) {
        const reads = counters.hits + counters.misses;
        perTier[name] = {
          hits: counters.hits,
          misses: counters.misses,
          hitRate: reads === 0 ? 0 : counters.hits / reads,
          errors: counters.errors,
          latencyAvgMs: counters.reads === 0 ? 0 : counters.latencyTotal / counters.reads,
          available: !down.has(name),
        };
      }
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
