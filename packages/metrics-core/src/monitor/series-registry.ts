import { RollingWindow, SLOT_MS } from './rolling-window.js';
import type { SketchMapping } from './quantile-sketch.js';
import { OTHER_METHOD } from '../http/route-label.js';

/**
 * Bucket bounds of the exported `http_server_request_duration_seconds` histogram, in ms: the OpenTelemetry
 * semantic conventions' advisory boundaries for `http.server.request.duration`
 * (0.005 … 10 s, https://opentelemetry.io/docs/specs/semconv/http/http-metrics/).
 */
export const DURATION_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

/** Route label of the one series that collects everything past `maxSeries`. */
export const OVERFLOW_ROUTE = '__overflow__';
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
/** Raw method spellings cached per route (e.g. `get` beside `GET`) before falling back to normalising. */
const MAX_METHOD_ALIASES = 16;

/** Cumulative (since start) bucket counters of one status code: what a Prometheus histogram must expose. */
export interface StatusHistogram {
  /** `buckets[k]` counts durations ≤ DURATION_BUCKETS_MS[k] (non-cumulative); the last one is +Inf. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** Bucket of `DURATION_BUCKETS_MS` for a duration (the first bound ≥ it; the last slot is +Inf). */
export function durationBucket(durationMs: number): number {
  const bounds = DURATION_BUCKETS_MS;
  let k = 0;
  while (k < bounds.length && durationMs > bounds[k]!) k++;
  return k;
}

/**
 * Precomputed sketch index → export bucket, so the hot path does one table load plus at most one comparison
 * instead of scanning the bounds (a sketch bucket is < 1 % wide, bounds are ≥ 33 % apart, so the table entry
 * is right or one off at a bound; one comparison fixes it).
 */
function bucketTable(mapping: SketchMapping): { table: Uint8Array; low: number } {
  const low = mapping.index(DURATION_BUCKETS_MS[0]!) - 1;
  const high = mapping.index(DURATION_BUCKETS_MS[DURATION_BUCKETS_MS.length - 1]!) + 1;
  const table = new Uint8Array(high - low + 1);
  // For each sketch bucket: the export bucket of its lower edge (just above it).
  for (let index = low; index <= high; index++) table[index - low] = durationBucket(mapping.lowerBound(index) * (1 + 1e-12));
  return { table, low };
}

/** Fields per status code in a series' export record: the buckets (+Inf last), then sum and count. */
const EXPORT_BUCKETS = DURATION_BUCKETS_MS.length + 1;
const EXPORT_SUM = EXPORT_BUCKETS;
const EXPORT_COUNT = EXPORT_BUCKETS + 1;
const EXPORT_RECORD = EXPORT_BUCKETS + 2;
const INITIAL_CODES = 4;

/**
 * One route template + method: a rolling window for current figures (inherited, so a request touches one
 * object less) and cumulative counters for export.
 */
export class RouteSeries extends RollingWindow {
  readonly route: string;
  readonly method: string;
  /**
   * Status codes seen and, per code, one record of export counters in one typed array (a few codes per series:
   * a linear scan of a small Int16Array beats a Map, and one array means fewer cache misses per request).
   */
  private codes = new Int16Array(INITIAL_CODES);
  private codeCount = 0;
  private exports = new Float64Array(INITIAL_CODES * EXPORT_RECORD);
  private readonly table: Uint8Array;
  private readonly tableLow: number;
  /** Cumulative since the series was created. */
  count = 0;
  errors = 0;
  aborted = 0;
  /** Errors counted by trackError whose request has not been tracked yet (so a 5xx is not counted twice). */
  pendingThrown = 0;
  lastSeen: number;

  constructor(route: string, method: string, mapping: SketchMapping, now: number) {
    super(mapping);
    this.route = route;
    this.method = method;
    this.lastSeen = now;
    const { table, low } = tables.get(mapping) ?? tables.set(mapping, bucketTable(mapping)).get(mapping)!;
    this.table = table;
    this.tableLow = low;
  }

  /** Cumulative export counters for one request; `index` is the duration's sketch index. */
  observe(statusCode: number, durationMs: number, index: number): void {
    const codes = this.codes;
    let position = 0;
    while (position < this.codeCount && codes[position] !== statusCode) position++;
    if (position === this.codeCount) this.addCode(statusCode);
    const slot = index - this.tableLow;
    let k: number;
    if (slot >= 0 && slot < this.table.length) {
      k = this.table[slot]!;
      if (k < DURATION_BUCKETS_MS.length && durationMs > DURATION_BUCKETS_MS[k]!) k++;
      // Float rounding at an exact bound (e.g. 100 ms) can land one sketch bucket high.
      else if (k > 0 && durationMs <= DURATION_BUCKETS_MS[k - 1]!) k--;
    } else {
      k = slot < 0 ? 0 : DURATION_BUCKETS_MS.length;
    }
    const base = position * EXPORT_RECORD;
    const exports = this.exports;
    exports[base + k]!++;
    exports[base + EXPORT_SUM]! += durationMs;
    exports[base + EXPORT_COUNT]!++;
  }

  private addCode(statusCode: number): void {
    if (this.codeCount === this.codes.length) {
      const codes = new Int16Array(this.codes.length * 2);
      codes.set(this.codes);
      this.codes = codes;
      const exports = new Float64Array(codes.length * EXPORT_RECORD);
      exports.set(this.exports);
      this.exports = exports;
    }
    this.codes[this.codeCount++] = statusCode;
  }

  /** Export histograms by status code, ascending (copies). */
  statusHistograms(): Array<[number, StatusHistogram]> {
    const result: Array<[number, StatusHistogram]> = [];
    for (let position = 0; position < this.codeCount; position++) {
      const base = position * EXPORT_RECORD;
      result.push([
        this.codes[position]!,
        { buckets: this.exports.slice(base, base + EXPORT_BUCKETS), sum: this.exports[base + EXPORT_SUM]!, count: this.exports[base + EXPORT_COUNT]! },
      ]);
    }
    return result.sort((a, b) => a[0] - b[0]);
  }
}

const tables = new Map<SketchMapping, { table: Uint8Array; low: number }>();

export interface SeriesRegistryOptions {
  mapping: SketchMapping;
  maxSeries: number;
}

/**
 * The series of one route, by method. The common methods are plain fields picked by a `switch` (one compare of
 * interned strings and a load from this object) instead of a second hash lookup: the hot path is memory-bound,
 * so one fewer table probed per request counts. Other spellings and methods go through a small map.
 */
export class RouteEntry {
  GET: RouteSeries | undefined;
  POST: RouteSeries | undefined;
  PUT: RouteSeries | undefined;
  DELETE: RouteSeries | undefined;
  PATCH: RouteSeries | undefined;
  HEAD: RouteSeries | undefined;
  OPTIONS: RouteSeries | undefined;
  /** Aliases (e.g. `get`) and the remaining methods. */
  readonly others = new Map<string, RouteSeries>();
  /** Distinct series of this route. */
  readonly series: RouteSeries[] = [];

  get(method: string): RouteSeries | undefined {
    switch (method) {
      case 'GET':
        return this.GET;
      case 'POST':
        return this.POST;
      case 'PUT':
        return this.PUT;
      case 'DELETE':
        return this.DELETE;
      case 'PATCH':
        return this.PATCH;
      case 'HEAD':
        return this.HEAD;
      case 'OPTIONS':
        return this.OPTIONS;
      default:
        return this.others.size === 0 ? undefined : this.others.get(method);
    }
  }

  set(method: string, series: RouteSeries): void {
    switch (method) {
      case 'GET':
        this.GET = series;
        return;
      case 'POST':
        this.POST = series;
        return;
      case 'PUT':
        this.PUT = series;
        return;
      case 'DELETE':
        this.DELETE = series;
        return;
      case 'PATCH':
        this.PATCH = series;
        return;
      case 'HEAD':
        this.HEAD = series;
        return;
      case 'OPTIONS':
        this.OPTIONS = series;
        return;
      default:
        this.others.set(method, series);
    }
  }

  /** Removes a series and every key pointing at it. */
  remove(series: RouteSeries): void {
    const index = this.series.indexOf(series);
    if (index >= 0) this.series.splice(index, 1);
    for (const method of FIELD_METHODS) if (this[method] === series) this[method] = undefined;
    for (const [key, value] of this.others) if (value === series) this.others.delete(key);
  }
}

const FIELD_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;

/**
 * Series keyed route → method (a map, then a field, so the hot path never concatenates strings). At most
 * `maxSeries` route+method series exist; later ones share the overflow series, whose route label is
 * `__overflow__`.
 */
export class SeriesRegistry {
  readonly routes = new Map<string, RouteEntry>();
  readonly overflow: RouteSeries;
  private readonly mapping: SketchMapping;
  private readonly maxSeries: number;
  private count = 0;

  constructor(options: SeriesRegistryOptions, now: number) {
    this.mapping = options.mapping;
    this.maxSeries = options.maxSeries;
    this.overflow = new RouteSeries(OVERFLOW_ROUTE, OTHER_METHOD, this.mapping, now);
  }

  get size(): number {
    return this.count;
  }

  /** Slow path of a lookup miss: normalises the method, creates the series or answers the overflow series. */
  resolve(route: string, rawMethod: string, now: number): RouteSeries {
    const upper = typeof rawMethod === 'string' ? rawMethod.toUpperCase() : 'GET';
    const method = KNOWN_METHODS.has(upper) ? upper : OTHER_METHOD;
    let entry = this.routes.get(route);
    let series = entry?.get(method);
    if (series === undefined) {
      if (this.count >= this.maxSeries) return this.overflow;
      series = new RouteSeries(route, method, this.mapping, now);
      if (entry === undefined) {
        entry = new RouteEntry();
        this.routes.set(route, entry);
      }
      entry.set(method, series);
      entry.series.push(series);
      this.count++;
    }
    if (typeof rawMethod === 'string' && rawMethod !== method && entry !== undefined && entry.others.size < MAX_METHOD_ALIASES) {
      entry.set(rawMethod, series);
    }
    return series;
  }

  /** Every distinct series, overflow last when it has seen traffic. */
  *all(): IterableIterator<RouteSeries> {
    for (const entry of this.routes.values()) yield* entry.series;
    if (this.overflow.count > 0 || this.overflow.aborted > 0 || this.overflow.errors > 0) yield this.overflow;
  }

  /** Drops series not seen since `before` (epoch ms); returns how many went. */
  evictIdle(before: number): number {
    let evicted = 0;
    for (const [route, entry] of this.routes) {
      for (const series of [...entry.series]) {
        if (series.lastSeen >= before) continue;
        entry.remove(series);
        this.count--;
        evicted++;
      }
      if (entry.series.length === 0) this.routes.delete(route);
    }
    return evicted;
  }
}

/** The absolute 10 s slot of an epoch-ms time. */
export function slotOf(epochMs: number): number {
  return Math.floor(epochMs / SLOT_MS);
}
