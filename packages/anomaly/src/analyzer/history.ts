import type { AnalyzerContext, HistoryMetric, HistoryPoint } from '@wai/metrics-core';

/**
 * Finite points of one series in `[now − windowMs, now]`, oldest first. The time filter is applied again
 * here because a history source may treat `from`/`to` loosely.
 */
export function recentPoints(context: AnalyzerContext, metric: HistoryMetric, windowMs: number, route?: string): HistoryPoint[] {
  const from = context.now - windowMs;
  return context
    .history(metric, route === undefined ? { from, to: context.now } : { route, from, to: context.now })
    .filter((point) => Number.isFinite(point.t) && Number.isFinite(point.v) && point.t >= from && point.t <= context.now)
    .sort((a, b) => a.t - b.t);
}

/** True when the points span at least two distinct times (what a trend fit needs). */
export const hasSpan = (points: readonly HistoryPoint[]): boolean =>
  points.length >= 2 && (points[points.length - 1] as HistoryPoint).t > (points[0] as HistoryPoint).t;
