import type { AnalyzerContext, Severity } from '@wai/metrics-core';
import { analyzeTrend } from '../trend/analyze-trend.js';
import { formatDuration } from '../trend/format-duration.js';
import { formatBytes, formatPercent, round } from './format.js';
import { hasSpan, recentPoints } from './history.js';
import type { Findings } from './findings.js';
import type { AnalysisOptions } from './options.js';

const HOUR = 3_600_000;

/**
 * A memory leak: heap used right after major GCs (`heap_after_gc`; `heap_used` when the monitor has no GC
 * series) rises over the trend window (`trendWindowMs`, else the monitor's `trendAnalysisWindow`) with a
 * significant Mann–Kendall trend, a least-squares r² ≥ `leakMinRSquared`, and growth ≥ `leakMinGrowthPerHour`
 * of the current heap per hour. The Theil–Sen line gives
 * the time until the heap limit. Severity: critical when the limit is < 1 h away, warning when < 24 h away (or
 * the limit is unknown), info otherwise.
 */
export function findMemoryLeak(context: AnalyzerContext, options: AnalysisOptions): Findings {
  const findings: Findings = { bottlenecks: [], recommendations: [] };
  let metric = 'heap_after_gc';
  let points = recentPoints(context, metric, options.trendWindowMs);
  if (points.length < options.leakMinPoints) {
    metric = 'heap_used';
    points = recentPoints(context, metric, options.trendWindowMs);
  }
  if (points.length < options.leakMinPoints || !hasSpan(points)) return findings;
  const span = (points[points.length - 1]?.t ?? 0) - (points[0]?.t ?? 0);
  if (span < options.leakMinSpanMs) return findings;

  const heapLimit = context.snapshot.memory.heapLimit;
  const hasLimit = Number.isFinite(heapLimit) && heapLimit > 0;
  const trend = analyzeTrend(points, {
    alpha: options.leakAlpha,
    now: context.now,
    label: 'heap',
    ...(hasLimit ? { threshold: heapLimit, crossing: 'up' as const, thresholdLabel: 'its limit' } : {}),
  });
  const level = trend.forecast(context.now);
  if (trend.direction !== 'rising' || trend.rSquared < options.leakMinRSquared || !(level > 0)) return findings;
  const growthPerHour = trend.slopePerHour;
  if (growthPerHour / level < options.leakMinGrowthPerHour) return findings;

  const crossingMs = trend.thresholdCrossingMs ?? null;
  const severity: Severity =
    crossingMs !== null && crossingMs < HOUR ? 'critical' : crossingMs === null || crossingMs < 24 * HOUR ? 'warning' : 'info';
  const heapLabel = metric === 'heap_after_gc' ? 'heap after GC' : 'heap used';
  const toLimit = trend.message ?? 'the heap limit is unknown';
  const evidence = {
    metric,
    points: trend.n,
    windowMs: span,
    heapNowBytes: Math.round(level),
    growthBytesPerHour: Math.round(growthPerHour),
    rSquared: round(trend.rSquared),
    pValue: trend.pValue,
    kendallTau: round(trend.kendallTau),
    ...(hasLimit ? { heapLimitBytes: heapLimit, usagePercentOfLimit: round((level / heapLimit) * 100, 1) } : {}),
    thresholdCrossingMs: crossingMs,
  };
  findings.bottlenecks.push({
    id: 'memory_leak:heap',
    kind: 'memory_leak',
    severity,
    title: 'Heap grows steadily (likely memory leak)',
    detail:
      `The ${heapLabel} grows ${formatBytes(growthPerHour)}/h ` +
      `(r² ${trend.rSquared.toFixed(2)} over ${formatDuration(span)}, now ${formatBytes(level)}); ${toLimit}.`,
    evidence,
    impact: crossingMs === null ? `+${formatBytes(growthPerHour)} per hour` : `out of memory in ${formatDuration(crossingMs)} if nothing changes`,
  });
  findings.recommendations.push({
    id: 'fix_memory_leak:heap',
    kind: 'memory_leak',
    severity,
    title: 'Find what the heap retains',
    action:
      'Take two heap snapshots minutes apart (v8.writeHeapSnapshot() or --inspect) and compare retained objects; ' +
      'look for unbounded Maps or caches, listeners and timers never removed, and closures holding requests',
    expectedEffect:
      `stops growth of ${formatBytes(growthPerHour)}/h` +
      (hasLimit ? ` (${formatPercent(growthPerHour / heapLimit)} of the heap limit per hour)` : '') +
      (crossingMs !== null && crossingMs > 0 ? ` and the out-of-memory crash due in ${formatDuration(crossingMs)}` : ''),
    detail: `The ${heapLabel} rises in a straight line: garbage collection does not reclaim what is added.`,
    evidence,
    impact: toLimit,
  });
  return findings;
}
