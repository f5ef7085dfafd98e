import type { LatencySummary } from '../contracts/metrics.js';
import type { QuantileSketch } from './quantile-sketch.js';

const QUANTILES = [0.5, 0.9, 0.95, 0.99] as const;
const scratch: number[] = [0, 0, 0, 0];

/** The dashboard's latency figures from a sketch (zeros when empty). */
export function summarize(sketch: QuantileSketch): LatencySummary {
  if (sketch.count === 0) return { count: 0, avg: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
  const [p50, p90, p95, p99] = sketch.quantilesInto(QUANTILES, scratch) as [number, number, number, number];
  return { count: sketch.count, avg: sketch.sum / sketch.count, min: sketch.min, p50, p90, p95, p99, max: sketch.max };
}
