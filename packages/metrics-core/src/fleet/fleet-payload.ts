import type { Alert } from '../contracts/findings.js';
import type { FleetInstanceIdentity, SeriesWindow, WindowExport } from '../contracts/fleet.js';
import { OTHER_METHOD } from '../http/route-label.js';
import { DEFAULT_RELATIVE_ACCURACY, QuantileSketch, SketchMapping } from '../monitor/quantile-sketch.js';
import { OVERFLOW_ROUTE } from '../monitor/series-registry.js';
import { encodeBuckets } from './sketch-codec.js';

/** Format version of a published value; a reader skips values of another version (a rolling upgrade). */
export const PAYLOAD_VERSION = 1;

/** One route row: route, method, count, errors, aborted, sum, min, max, encoded buckets. */
export type RouteRow = [string, string, number, number, number, number, number, number, string];

/** What one instance stores in Redis (JSON). Short field names: the value is read by every dashboard, every second. */
export interface FleetPayload extends FleetInstanceIdentity {
  v: number;
  /** The sketches' relative accuracy. */
  alpha: number;
  publishedAt: number;
  expiresAt: number;
  windowMs: number;
  seconds: number;
  health: WindowExport['health'];
  memory: WindowExport['memory'];
  cpuPercent: number;
  eventLoop: WindowExport['eventLoop'];
  alerts: Alert[];
  /** Series folded into the overflow row to stay within the caps. */
  folded: number;
  routes: RouteRow[];
}

export interface PayloadLimits {
  maxSeries: number;
  maxPayloadBytes: number;
  maxAlerts: number;
}

function row(series: SeriesWindow): RouteRow {
  const { sketch } = series;
  return [series.route, series.method, sketch.count, series.errors, series.aborted, sketch.sum, sketch.count > 0 ? sketch.min : 0, sketch.count > 0 ? sketch.max : 0, encodeBuckets(sketch)];
}

/** Merges series into one overflow row, so totals stay exact when rows are dropped. */
function overflowRow(folded: readonly SeriesWindow[], mapping: SketchMapping): RouteRow {
  const sketch = new QuantileSketch(mapping);
  let errors = 0;
  let aborted = 0;
  for (const series of folded) {
    sketch.addBuckets(series.sketch);
    errors += series.errors;
    aborted += series.aborted;
  }
  return row({ route: OVERFLOW_ROUTE, method: OTHER_METHOD, errors, aborted, sketch: sketch.exportBuckets() });
}

/** Alerts without evidence (it can be large: profiles, detector output) and capped. */
function compactAlerts(alerts: readonly Alert[], max: number): Alert[] {
  return alerts.slice(0, max).map(({ evidence: _evidence, ...alert }) => alert);
}

/**
 * Serialises a window within the caps: the `maxSeries` busiest series get a row each and the rest are merged
 * into one `__overflow__` row; when the JSON is still over `maxPayloadBytes`, half the rows fold each round.
 * Returns the JSON text and how many series were folded.
 */
export function buildPayload(
  window: WindowExport,
  identity: FleetInstanceIdentity,
  alerts: readonly Alert[],
  timing: { publishedAt: number; expiresAt: number },
  limits: PayloadLimits,
): { json: string; folded: number; bytes: number } {
  const relativeAccuracy = window.series[0]?.sketch.relativeAccuracy;
  const mapping = new SketchMapping(relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY);
  // Busiest first: what folds is the long tail.
  const ordered = [...window.series].sort((a, b) => b.sketch.count - a.sketch.count || b.errors - a.errors);
  const base = {
    v: PAYLOAD_VERSION,
    alpha: mapping.relativeAccuracy,
    ...identity,
    ...timing,
    windowMs: window.windowMs,
    seconds: window.seconds,
    health: window.health,
    memory: window.memory,
    cpuPercent: window.cpuPercent,
    eventLoop: window.eventLoop,
    alerts: compactAlerts(alerts, limits.maxAlerts),
  };
  let kept = Math.min(ordered.length, limits.maxSeries);
  const rows = ordered.slice(0, kept).map(row);
  for (;;) {
    const folded = ordered.length - kept;
    const routes = folded > 0 ? [...rows.slice(0, kept), overflowRow(ordered.slice(kept), mapping)] : rows.slice(0, kept);
    const payload: FleetPayload = { ...base, folded, routes };
    const json = JSON.stringify(payload);
    const bytes = Buffer.byteLength(json);
    if (bytes <= limits.maxPayloadBytes || kept === 0) return { json, folded, bytes };
    kept = Math.floor(kept / 2);
  }
}

/** Parses a stored value; `undefined` for anything that is not a payload of this version. */
export function parsePayload(text: string): FleetPayload | undefined {
  try {
    const value = JSON.parse(text) as Partial<FleetPayload>;
    if (value === null || typeof value !== 'object' || value.v !== PAYLOAD_VERSION || !Array.isArray(value.routes) || typeof value.id !== 'string') return undefined;
    if (!isFiniteNumber(value.alpha) || !isFiniteNumber(value.seconds) || !(value.seconds > 0) || !isFiniteNumber(value.expiresAt) || !Array.isArray(value.alerts)) return undefined;
    if (!value.routes.every(isRouteRow)) return undefined;
    return value as FleetPayload;
  } catch {
    return undefined;
  }
}

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A row as `buildPayload` writes it (the encoded buckets are checked when decoded). */
function isRouteRow(row: unknown): row is RouteRow {
  if (!Array.isArray(row) || row.length !== 9) return false;
  const [route, method, count, errors, aborted, sum, min, max, encoded] = row as unknown[];
  return (
    typeof route === 'string' &&
    typeof method === 'string' &&
    typeof encoded === 'string' &&
    [count, errors, aborted, sum, min, max].every(isFiniteNumber) &&
    (count as number) >= 0
  );
}
