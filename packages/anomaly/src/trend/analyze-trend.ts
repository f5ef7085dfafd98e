import { ValidationError } from '@wai/metrics-core';
import { linearRegression, rSquared } from 'simple-statistics';
import { formatDuration } from './format-duration.js';
import { mannKendall } from './mann-kendall.js';
import { pairCount, theilSen } from './theil-sen.js';

export interface TrendPoint {
  /** Time, epoch ms (any unit works if `threshold` times are read in the same unit). */
  t: number;
  v: number;
}

export type TrendMethod = 'theil-sen' | 'least-squares';
export type TrendDirection = 'rising' | 'falling' | 'flat';
export type ThresholdCrossing = 'up' | 'down' | 'either';

export interface TrendOptions {
  /** A level whose crossing time is estimated (e.g. the heap limit). No crossing estimate without it. */
  threshold?: number;
  /**
   * Which crossing counts: `up` (the series rises to or above the threshold; 0 when already above),
   * `down` (mirror), `either` (the fitted line meets the threshold in the future).
   * @default 'either'
   */
  crossing?: ThresholdCrossing;
  /** The slope behind `slope`, `forecast` and the crossing time. Theil–Sen ignores spikes and GC sawtooth. @default 'theil-sen' */
  method?: TrendMethod;
  /** Significance level of the Mann–Kendall test below which the trend counts as rising/falling. @default 0.05 */
  alpha?: number;
  /** Pairs sampled for Theil–Sen when n(n−1)/2 exceeds it. @default max(5000, n·⌈log2 n⌉) */
  maxPairs?: number;
  /** Seed of the pair sampling, so results are reproducible. @default 1 */
  seed?: number;
  /** The time the crossing is measured from. @default the latest point's `t` */
  now?: number;
  /** The series' name in `message`. @default 'the series' */
  label?: string;
  /** The threshold's name in `message`. @default String(threshold) */
  thresholdLabel?: string;
}

export interface LineFit {
  /** Units of v per ms. */
  slope: number;
  /** The line's value at `origin` (the first point's t), which keeps numbers readable with epoch times. */
  intercept: number;
}

export interface TrendResult {
  /** Points used (non-finite points are rejected, see `analyzeTrend`). */
  n: number;
  /** First and last `t`. `origin` = `from` is where `intercept` is measured. */
  from: number;
  to: number;
  origin: number;
  method: TrendMethod;
  /** Slope of `method` in units of v per ms, and per hour for messages. */
  slope: number;
  slopePerHour: number;
  /** The fitted line's value at `origin`. */
  intercept: number;
  leastSquares: LineFit & { rSquared: number };
  theilSen: LineFit & { pairs: number; sampled: boolean };
  /** Coefficient of determination of the least-squares line, 0..1 (how well a straight line explains the series). */
  rSquared: number;
  /** `rising`/`falling` when the Mann–Kendall p-value is below `alpha`, else `flat`. */
  direction: TrendDirection;
  significant: boolean;
  pValue: number;
  /** Kendall's tau between time and value, −1..1. */
  kendallTau: number;
  /** The fitted line of `method` at time t. */
  forecast(t: number): number;
  /** Present when `threshold` was given: ms from `now` until it is crossed, or null when it is not heading there. */
  thresholdCrossingMs?: number | null;
  /** Epoch ms of the crossing (now + thresholdCrossingMs), or null. */
  thresholdCrossingAt?: number | null;
  /** E.g. "heap reaches its limit in ~37 min". */
  message?: string;
}

const invalid = (message: string): ValidationError =>
  new ValidationError('E_INVALID_ARGUMENT', `[wai:anomaly] analyzeTrend: ${message}`);

/**
 * Fits a straight line to a series (least squares and Theil–Sen), tests whether it trends (Mann–Kendall), and
 * estimates when it reaches a threshold. Points may come in any order; at least two distinct times are needed.
 *
 * @example
 * const trend = analyzeTrend(monitor.getHistory('heap_after_gc'), {
 *   threshold: snapshot.memory.heapLimit, crossing: 'up', label: 'heap', thresholdLabel: 'its limit' });
 * trend.message; // 'heap reaches its limit in ~37 min'
 */
export function analyzeTrend(points: readonly TrendPoint[], options: TrendOptions = {}): TrendResult {
  if (!Array.isArray(points)) throw invalid('points must be an array of { t, v }.');
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw invalid(`alpha must be in (0, 1), got ${String(options.alpha)}.`);
  const method = options.method ?? 'theil-sen';
  if (method !== 'theil-sen' && method !== 'least-squares') throw invalid(`unknown method ${String(method)}.`);
  const crossing = options.crossing ?? 'either';
  if (crossing !== 'up' && crossing !== 'down' && crossing !== 'either') throw invalid(`unknown crossing ${String(crossing)}.`);
  if (options.threshold !== undefined && !Number.isFinite(options.threshold)) throw invalid('threshold must be a finite number.');
  if (options.maxPairs !== undefined && !(Number.isInteger(options.maxPairs) && options.maxPairs >= 1)) {
    throw invalid('maxPairs must be a positive integer.');
  }

  for (const point of points) {
    if (point === null || typeof point !== 'object' || !Number.isFinite(point.t) || !Number.isFinite(point.v)) {
      throw invalid('every point needs finite numbers t and v.');
    }
  }
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const n = sorted.length;
  const first = sorted[0];
  const last = sorted[n - 1];
  if (!first || !last || first.t === last.t) throw invalid('at least two points with different t are needed.');

  const origin = first.t;
  const xs = sorted.map((point) => point.t - origin);
  const ys = sorted.map((point) => point.v);
  const pairs = xs.map((x, i) => [x, ys[i] as number]);

  const ols = linearRegression(pairs);
  const olsLine = (x: number): number => ols.b + ols.m * x;
  // rSquared is 1 − SSE/SST; a constant series has SST = 0 (NaN), and a flat line explains it perfectly.
  const r2raw = rSquared(pairs, olsLine);
  const r2 = Number.isFinite(r2raw) ? Math.max(0, Math.min(1, r2raw)) : 1;

  const maxPairs = options.maxPairs ?? Math.max(5000, n * Math.ceil(Math.log2(n)));
  const sen = theilSen(xs, ys, Math.min(maxPairs, Math.max(1, pairCount(n))), options.seed ?? 1);
  const test = mannKendall(sen.kendallS, ys);

  const chosen = method === 'theil-sen' ? { slope: sen.slope, intercept: sen.intercept } : { slope: ols.m, intercept: ols.b };
  const forecast = (t: number): number => chosen.intercept + chosen.slope * (t - origin);
  const significant = test.pValue < alpha && chosen.slope !== 0;
  const direction: TrendDirection = !significant ? 'flat' : chosen.slope > 0 ? 'rising' : 'falling';

  const result: TrendResult = {
    n,
    from: first.t,
    to: last.t,
    origin,
    method,
    slope: chosen.slope,
    slopePerHour: chosen.slope * 3_600_000,
    intercept: chosen.intercept,
    leastSquares: { slope: ols.m, intercept: ols.b, rSquared: r2 },
    theilSen: { slope: sen.slope, intercept: sen.intercept, pairs: sen.pairs, sampled: sen.sampled },
    rSquared: r2,
    direction,
    significant,
    pValue: test.pValue,
    kendallTau: test.tau,
    forecast,
  };

  if (options.threshold !== undefined) {
    const now = options.now ?? last.t;
    const ms = crossingMs(forecast(now), options.threshold, chosen.slope, significant, crossing);
    const label = options.label ?? 'the series';
    const thresholdLabel = options.thresholdLabel ?? String(options.threshold);
    result.thresholdCrossingMs = ms;
    result.thresholdCrossingAt = ms === null ? null : now + ms;
    result.message =
      ms === null
        ? `${label} is not trending towards ${thresholdLabel}`
        : ms === 0
          ? `${label} has reached ${thresholdLabel}`
          : `${label} reaches ${thresholdLabel} in ${formatDuration(ms)}`;
  }
  return result;
}

/** Ms until the fitted line crosses `threshold` from `level`, honouring the crossing side; null if never. */
function crossingMs(level: number, threshold: number, slope: number, significant: boolean, crossing: ThresholdCrossing): number | null {
  if (crossing === 'up' && level >= threshold) return 0;
  if (crossing === 'down' && level <= threshold) return 0;
  if (level === threshold) return 0;
  // Without a significant trend a crossing time would be extrapolated noise.
  if (!significant) return null;
  const ms = (threshold - level) / slope;
  if (!(ms > 0) || !Number.isFinite(ms)) return null;
  if (crossing === 'up' && slope <= 0) return null;
  if (crossing === 'down' && slope >= 0) return null;
  return ms;
}
