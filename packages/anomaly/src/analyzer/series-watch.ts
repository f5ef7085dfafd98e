import type { AlertSignal, AnalyzerContext, HistoryPoint } from '@wai/metrics-core';
import type { DetectorResult, StreamingDetector } from '../detector-types.js';
import { describeMetric, isKnownMetric, round } from './format.js';
import type { AnalysisOptions, AnomalyDirection, ResolvedOptions, SeriesKey, WatchedMetric } from './options.js';

interface WatchedSeries {
  key: SeriesKey;
  direction: AnomalyDirection;
  detector: StreamingDetector;
  /** Newest point fed to the detector; only later points are fed (no look-ahead, no double counting). */
  lastSeen: number;
  /** The sensitivity (σ) its detector was made with, when one was set; shown in the alert's evidence. */
  anomalyThreshold: number | undefined;
  /** The latest anomalous point in the watched direction, if any. */
  flagged?: { t: number; value: number; result: DetectorResult };
}

/**
 * Points fed to a new detector from history that predates it (e.g. the analyzer was attached to a monitor that
 * has run for hours): enough for the default ensemble's 300-point windows and 300-point warm-up, without a long
 * first analysis.
 */
const BACKFILL_POINTS = 600;

const seriesId = (key: SeriesKey): string => (key.route === undefined ? key.metric : `${key.metric}:${key.route}`);

/**
 * One streaming detector per watched series (global metrics and per-route metrics of the busiest routes), fed
 * with the monitor's history points newer than the last one it saw. The number of series is bounded by
 * `maxSeries`; a route that drops out of the busiest set loses its detector (and its learned baseline).
 */
export function createSeriesWatch(options: ResolvedOptions, makeDetector: (key: SeriesKey, options: AnalysisOptions) => StreamingDetector) {
  const watched = new Map<string, WatchedSeries>();

  /** The series to watch now: every global one, then per-route ones for the busiest routes that fit. */
  function wanted(context: AnalyzerContext): Array<{ key: SeriesKey; watch: WatchedMetric }> {
    const list: Array<{ key: SeriesKey; watch: WatchedMetric }> = [];
    for (const watch of options.watchGlobal) {
      if (list.length >= options.maxSeries) return list;
      list.push({ key: { metric: watch.metric }, watch });
    }
    if (options.watchPerRoute.length === 0) return list;
    const traffic = new Map<string, number>();
    for (const endpoint of context.snapshot.endpoints) traffic.set(`${endpoint.method} ${endpoint.route}`, endpoint.count);
    const globalNames = new Set<string>(options.watchGlobal.map((watch) => watch.metric));
    // routes() may list global metric names beside route keys (AnalyzerContext's contract); keep the route keys.
    const routes = context
      .routes()
      .filter((route) => !globalNames.has(route) && !isKnownMetric(route))
      .sort((a, b) => (traffic.get(b) ?? 0) - (traffic.get(a) ?? 0) || a.localeCompare(b));
    // Whole routes only: a route is watched on all its per-route metrics or not at all.
    const routeBudget = Math.floor((options.maxSeries - list.length) / options.watchPerRoute.length);
    for (const route of routes.slice(0, routeBudget)) {
      for (const watch of options.watchPerRoute) list.push({ key: { metric: watch.metric, route }, watch });
    }
    return list;
  }

  /** History points of a series newer than `after` and not after `now`, oldest first. */
  function newPoints(key: SeriesKey, after: number, context: AnalyzerContext): HistoryPoint[] {
    const query = key.route === undefined ? {} : { route: key.route };
    const from = Number.isFinite(after) ? { from: after } : {};
    return context
      .history(key.metric, { ...query, ...from })
      .filter((point) => point.t > after && point.t <= context.now && Number.isFinite(point.v))
      .sort((a, b) => a.t - b.t);
  }

  function feed(series: WatchedSeries, points: readonly HistoryPoint[]): void {
    for (const point of points) {
      const result = series.detector.update(point.v, point.t);
      series.lastSeen = point.t;
      if (!result.isAnomaly || result.warmingUp) continue;
      const upward = point.v > result.expected;
      if (series.direction === 'up' && !upward) continue;
      if (series.direction === 'down' && upward) continue;
      series.flagged = { t: point.t, value: point.v, result };
    }
  }

  function toAlert(series: WatchedSeries): AlertSignal | undefined {
    const flagged = series.flagged;
    if (!flagged) return undefined;
    const { metric, route } = series.key;
    const { label, format } = describeMetric(metric);
    const { result, value } = flagged;
    const upward = value > result.expected;
    const where = route === undefined ? '' : ` of ${route}`;
    return {
      id: `anomaly:${seriesId(series.key)}`,
      type: 'anomaly',
      severity: result.score >= options.criticalScore ? 'critical' : 'warning',
      message:
        `Anomaly: ${label}${where} is ${format(value)}, expected ~${format(result.expected)} ` +
        `(normal ${format(result.lower)}–${format(result.upper)})`,
      value,
      threshold: upward ? result.upper : result.lower,
      ...(route === undefined ? {} : { route }),
      evidence: {
        metric,
        ...(route === undefined ? {} : { route }),
        observedAt: flagged.t,
        score: round(result.score, 4),
        expected: result.expected,
        lower: result.lower,
        upper: result.upper,
        direction: upward ? 'above' : 'below',
        ...(series.anomalyThreshold === undefined ? {} : { anomalyThreshold: series.anomalyThreshold }),
        ...(result.evidence ? { detector: result.evidence } : {}),
      },
    };
  }

  return {
    /** Feeds new points to every watched series and returns the anomalies current at `context.now`. */
    update(context: AnalyzerContext, analysis: AnalysisOptions): AlertSignal[] {
      const keep = new Set<string>();
      const alerts: AlertSignal[] = [];
      for (const { key, watch } of wanted(context)) {
        const id = seriesId(key);
        keep.add(id);
        let series = watched.get(id);
        const points = newPoints(key, series?.lastSeen ?? Number.NEGATIVE_INFINITY, context);
        if (!series) {
          // Detectors are made lazily, for series that have data.
          if (points.length === 0) continue;
          series = { key, direction: watch.direction ?? 'both', detector: makeDetector(key, analysis), lastSeen: Number.NEGATIVE_INFINITY, anomalyThreshold: analysis.anomalyThreshold };
          watched.set(id, series);
          points.splice(0, Math.max(0, points.length - BACKFILL_POINTS));
        }
        feed(series, points);
        if (series.flagged && context.now - series.flagged.t > options.anomalyHoldMs) delete series.flagged;
        const alert = toAlert(series);
        if (alert) alerts.push(alert);
      }
      for (const id of watched.keys()) if (!keep.has(id)) watched.delete(id);
      return alerts;
    },
    /** Number of series with a detector (bounded by `maxSeries`). */
    size: (): number => watched.size,
    clear: (): void => watched.clear(),
  };
}
