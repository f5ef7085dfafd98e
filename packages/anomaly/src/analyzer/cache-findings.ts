import type { AnalyzerContext, CacheAnalytics, Recommendation, Severity } from '@wai/metrics-core';
import { hitRateLowerBoundFromTopKeys, suggestCacheSize } from '../mrc/miss-ratio-curve.js';
import { formatBytes, formatMs, formatPercent, round } from './format.js';
import type { Findings } from './findings.js';
import type { ResolvedOptions } from './options.js';

/** Headroom over the hottest-key count when sizing L1 from `topKeys` alone. */
const TOP_KEYS_HEADROOM = 1.25;

/**
 * Cache inefficiency per attached cache (≥ `minCacheRequests` requests):
 * - low hit rate: overall hit rate < `lowHitRate` (critical below half of it, warning otherwise);
 * - eviction churn: evictions per request ≥ `evictionChurn` (warning): the working set does not fit.
 * Recommendations: a bigger L1 when the cache's miss-ratio curve (SHARDS) shows a gain ≥ `minHitRateGain`
 * (or, without a curve, when the hottest keys alone prove one — a conservative lower bound), and a longer TTL for
 * key prefixes whose entries expired while still hot.
 */
export function findCacheIssues(context: AnalyzerContext, options: ResolvedOptions): Findings {
  const findings: Findings = { bottlenecks: [], recommendations: [] };
  for (const [name, analytics] of Object.entries(context.caches)) {
    const requests = analytics.hits + analytics.misses;
    if (!(requests >= options.minCacheRequests)) continue;
    const missCost = analytics.loads && analytics.loads.calls > 0 ? analytics.loads.latencyAvgMs : undefined;
    const worstPrefixes = (analytics.accessPatterns ?? [])
      .filter((pattern) => pattern.requests > 0)
      .map((pattern) => ({ prefix: pattern.prefix, requests: pattern.requests, hitRate: pattern.hitRate }))
      .sort((a, b) => b.requests * (1 - b.hitRate) - a.requests * (1 - a.hitRate))
      .slice(0, 3);
    const tierHitRates = Object.fromEntries(Object.entries(analytics.tiers).map(([tier, stats]) => [tier, round(stats.hitRate)]));

    if (analytics.hitRate < options.lowHitRate) {
      findings.bottlenecks.push({
        id: `cache_inefficiency:${name}:hit_rate`,
        kind: 'cache_inefficiency',
        severity: analytics.hitRate < options.lowHitRate / 2 ? 'critical' : 'warning',
        title: `Low hit rate in cache ${name}`,
        detail:
          `Cache ${name} serves ${formatPercent(analytics.hitRate)} of ${requests} reads (target ≥ ${formatPercent(options.lowHitRate)})` +
          (worstPrefixes[0] ? `; most misses are under ${worstPrefixes[0].prefix} (${formatPercent(worstPrefixes[0].hitRate)} hits).` : '.'),
        evidence: {
          cache: name,
          hitRate: round(analytics.hitRate),
          hits: analytics.hits,
          misses: analytics.misses,
          tiers: tierHitRates,
          ...(missCost === undefined ? {} : { loadLatencyAvgMs: missCost }),
          ...(worstPrefixes.length > 0 ? { worstPrefixes } : {}),
        },
        impact:
          missCost === undefined
            ? `${analytics.misses} misses go to the origin`
            : `${analytics.misses} misses × ${formatMs(missCost)} per load = ${formatMs(analytics.misses * missCost)} of loading`,
      });
    }

    const evictions = analytics.evictions ?? analytics.tiers['l1']?.evictions ?? 0;
    const churn = evictions / requests;
    const churning = churn >= options.evictionChurn;
    if (churning) {
      findings.bottlenecks.push({
        id: `cache_inefficiency:${name}:evictions`,
        kind: 'cache_inefficiency',
        severity: 'warning',
        title: `Eviction churn in cache ${name}`,
        detail: `Cache ${name} evicts ${round(churn, 2)} entries per read (${evictions} evictions in ${requests} reads): its working set does not fit.`,
        evidence: { cache: name, evictions, requests, evictionsPerRequest: round(churn), hitRate: round(analytics.hitRate), ...configEvidence(analytics) },
        impact: `entries are evicted before they are reused; the hit rate is ${formatPercent(analytics.hitRate)}`,
      });
    }

    const sizing = l1SizeRecommendation(name, analytics, requests, churning, options);
    if (sizing) findings.recommendations.push(sizing);
    findings.recommendations.push(...ttlRecommendations(name, analytics, options));
  }
  return findings;
}

function configEvidence(analytics: CacheAnalytics): Record<string, number> {
  const config = analytics.config ?? {};
  return {
    ...(config.l1MaxSize === undefined ? {} : { l1MaxSize: config.l1MaxSize }),
    ...(config.l1MaxMemory === undefined ? {} : { l1MaxMemory: config.l1MaxMemory }),
  };
}

function l1SizeRecommendation(
  name: string,
  analytics: CacheAnalytics,
  requests: number,
  churning: boolean,
  options: ResolvedOptions,
): Recommendation | undefined {
  const l1 = analytics.tiers['l1'];
  // Without the configured maximum, a full L1 (it churns) tells us its size.
  const currentSize = analytics.config?.l1MaxSize ?? (churning ? l1?.size : undefined);
  if (!(currentSize !== undefined && currentSize > 0)) return undefined;
  const severity: Severity = churning || analytics.hitRate < options.lowHitRate ? 'warning' : 'info';
  const memoryNote = (size: number): string => {
    const bytes = l1?.memoryBytes ?? analytics.memoryBytes;
    const entries = l1?.size;
    if (!(bytes !== undefined && bytes > 0 && entries !== undefined && entries > 0)) return '';
    const needed = (bytes / entries) * size;
    const limit = analytics.config?.l1MaxMemory;
    return limit !== undefined && needed > limit
      ? `; needs ~${formatBytes(needed)} of L1 memory, so raise l1.maxMemory from ${formatBytes(limit)} too`
      : `; needs ~${formatBytes(needed)} of L1 memory`;
  };

  const curve = analytics.missRatioCurve;
  if (curve && curve.length > 0) {
    const suggestion = suggestCacheSize(curve, currentSize, { minGain: options.minHitRateGain });
    if (!suggestion) return undefined;
    return {
      id: `cache_size:${name}:l1`,
      kind: 'cache_size',
      severity,
      title: `Enlarge L1 of cache ${name}`,
      action: `Raise L1 maxSize of cache ${name} from ${currentSize} to ${suggestion.size}`,
      expectedEffect:
        `L1 hit rate ~${formatPercent(suggestion.currentHitRate)} → ~${formatPercent(suggestion.hitRate)} ` +
        `(miss-ratio curve from a sample of the access stream)${memoryNote(suggestion.size)}`,
      detail: `The cache's miss-ratio curve flattens at ${suggestion.size} entries; below that, L1 misses keys it will be asked for again.`,
      evidence: {
        cache: name,
        source: 'missRatioCurve',
        currentSize,
        suggestedSize: suggestion.size,
        curveHitRateNow: round(suggestion.currentHitRate),
        curveHitRateSuggested: round(suggestion.hitRate),
        observedL1HitRate: l1 ? round(l1.hitRate) : null,
        curve: curve.map((point) => ({ size: point.size, hitRate: round(point.hitRate) })),
      },
      impact: `+${formatPercent(suggestion.hitRate - suggestion.currentHitRate)} of reads served from memory`,
    };
  }

  // No curve: only the hottest keys are known. Recommend only what they alone prove (a lower bound).
  const topKeys = (analytics.topKeys ?? []).filter((entry) => entry.count > 1);
  if (topKeys.length <= currentSize) return undefined;
  const suggested = Math.ceil(topKeys.length * TOP_KEYS_HEADROOM);
  const atLeast = hitRateLowerBoundFromTopKeys(topKeys, requests, topKeys.length);
  const currentHitRate = l1?.hitRate ?? analytics.hitRate;
  if (atLeast - currentHitRate < options.minHitRateGain) return undefined;
  return {
    id: `cache_size:${name}:l1`,
    kind: 'cache_size',
    severity,
    title: `Enlarge L1 of cache ${name}`,
    action: `Raise L1 maxSize of cache ${name} from ${currentSize} to ${suggested}`,
    expectedEffect:
      `L1 hit rate ${formatPercent(currentHitRate)} → at least ~${formatPercent(atLeast)} ` +
      `(lower bound: the ${topKeys.length} hottest keys alone; no miss-ratio curve reported)${memoryNote(suggested)}`,
    detail: `${topKeys.length} keys are each read repeatedly but L1 holds only ${currentSize} entries.`,
    evidence: { cache: name, source: 'topKeys', currentSize, suggestedSize: suggested, hotKeys: topKeys.length, currentHitRate: round(currentHitRate), lowerBoundHitRate: round(atLeast) },
    impact: `+${formatPercent(atLeast - currentHitRate)} of reads served from memory (at least)`,
  };
}

function ttlRecommendations(name: string, analytics: CacheAnalytics, options: ResolvedOptions): Recommendation[] {
  const recommendations: Recommendation[] = [];
  for (const pattern of analytics.accessPatterns ?? []) {
    const expired = pattern.expiredWhileHot ?? 0;
    if (!(expired > 0 && pattern.requests > 0)) continue;
    const share = Math.min(1, expired / pattern.requests);
    if (share < options.minExpiredWhileHotShare) continue;
    // Each entry that expired while hot caused at least one miss a longer TTL would have turned into a hit.
    const reachable = Math.min(1, pattern.hitRate + share);
    recommendations.push({
      id: `cache_ttl:${name}:${pattern.prefix}`,
      kind: 'cache_ttl',
      severity: share >= 0.2 ? 'warning' : 'info',
      title: `Longer TTL for ${pattern.prefix} in cache ${name}`,
      action: `Raise the TTL of ${pattern.prefix}* keys in cache ${name} (e.g. double it) if the data may be that stale, or refresh them before they expire`,
      expectedEffect: `hit rate of ${pattern.prefix}* ${formatPercent(pattern.hitRate)} → up to ~${formatPercent(reachable)}`,
      detail: `${expired} of ${pattern.requests} reads under ${pattern.prefix} missed because hot entries had just expired.`,
      evidence: {
        cache: name,
        prefix: pattern.prefix,
        requests: pattern.requests,
        hitRate: round(pattern.hitRate),
        expiredWhileHot: expired,
        expiredWhileHotShare: round(share),
        ...(pattern.ttlEffectiveness === undefined ? {} : { ttlEffectiveness: pattern.ttlEffectiveness }),
      },
      impact: `${expired} avoidable misses`,
    });
  }
  return recommendations;
}
