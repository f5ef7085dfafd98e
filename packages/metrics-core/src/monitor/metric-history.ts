import type { HistoryMetric, HistoryPoint, HistoryQuery } from '../contracts/history.js';

/** Points kept per series: 12 h at the default 30 s interval. */
export const DEFAULT_HISTORY_POINTS = 1440;
/** Most series kept (global metrics plus per-route series of the top routes); least recently written go. */
const MAX_HISTORY_SERIES = 512;

/** A fixed-size ring of (t, v) pairs in typed arrays: 16 bytes a point, no allocation per append. */
class PointRing {
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private start = 0;
  size = 0;
  lastWrite = 0;

  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  push(t: number, v: number): void {
    const capacity = this.times.length;
    const position = (this.start + this.size) % capacity;
    this.times[position] = t;
    this.values[position] = v;
    if (this.size < capacity) this.size++;
    else this.start = (this.start + 1) % capacity;
    this.lastWrite = t;
  }

  oldest(): number | undefined {
    return this.size > 0 ? this.times[this.start] : undefined;
  }

  range(from: number, to: number): HistoryPoint[] {
    const points: HistoryPoint[] = [];
    const capacity = this.times.length;
    for (let k = 0; k < this.size; k++) {
      const position = (this.start + k) % capacity;
      const t = this.times[position]!;
      if (t >= from && t <= to) points.push({ t, v: this.values[position]! });
    }
    return points;
  }
}

/** The in-memory history: one ring per metric (and per route for per-route metrics). */
export class MetricHistory {
  private readonly series = new Map<string, PointRing>();
  private readonly capacity: number;

  constructor(capacity = DEFAULT_HISTORY_POINTS) {
    this.capacity = Math.max(2, Math.floor(capacity));
  }

  append(metric: HistoryMetric, t: number, v: number, route?: string): void {
    if (!Number.isFinite(v)) return;
    const key = seriesKey(metric, route);
    let ring = this.series.get(key);
    if (!ring) {
      if (this.series.size >= MAX_HISTORY_SERIES) this.evictStalest();
      ring = new PointRing(this.capacity);
      this.series.set(key, ring);
    }
    ring.push(t, v);
  }

  private evictStalest(): void {
    let stalestKey: string | undefined;
    let stalest = Number.POSITIVE_INFINITY;
    for (const [key, ring] of this.series) {
      if (ring.lastWrite < stalest) {
        stalest = ring.lastWrite;
        stalestKey = key;
      }
    }
    if (stalestKey !== undefined) this.series.delete(stalestKey);
  }

  query(metric: HistoryMetric, query: HistoryQuery = {}): HistoryPoint[] {
    const ring = this.series.get(seriesKey(metric, query.route));
    if (!ring) return [];
    const points = ring.range(query.from ?? Number.NEGATIVE_INFINITY, query.to ?? Number.POSITIVE_INFINITY);
    return query.step ? averageBySteps(points, query.step) : points;
  }

  /** Epoch ms of the oldest point kept for a series. */
  oldest(metric: HistoryMetric, route?: string): number | undefined {
    return this.series.get(seriesKey(metric, route))?.oldest();
  }

  /** Route keys with history (`GET /api/x`). */
  routes(): string[] {
    const routes = new Set<string>();
    for (const key of this.series.keys()) {
      const separator = key.indexOf('\u0000');
      if (separator >= 0) routes.add(key.slice(separator + 1));
    }
    return [...routes];
  }
}

function seriesKey(metric: HistoryMetric, route: string | undefined): string {
  return route === undefined ? metric : `${metric}\u0000${route}`;
}

/**
 * Buckets points by `⌊t / step⌋ · step` and averages each bucket; a point's `t` becomes its bucket start.
 * Input must be in time order (it is, from a ring or a store).
 */
export function averageBySteps(points: readonly HistoryPoint[], step: number): HistoryPoint[] {
  if (!(step > 0)) return [...points];
  const result: HistoryPoint[] = [];
  let bucket = Number.NaN;
  let sum = 0;
  let count = 0;
  for (const point of points) {
    const start = Math.floor(point.t / step) * step;
    if (start !== bucket) {
      if (count > 0) result.push({ t: bucket, v: sum / count });
      bucket = start;
      sum = 0;
      count = 0;
    }
    sum += point.v;
    count++;
  }
  if (count > 0) result.push({ t: bucket, v: sum / count });
  return result;
}
