/**
 * Reading a cache's miss-ratio curve (hit rate as a function of capacity). The curve itself is computed by the
 * cache from a spatially hashed sample of its access stream — SHARDS: Waldspurger et al. (2015), "Efficient MRC
 * Construction with SHARDS", USENIX FAST — and reported in `CacheAnalytics.missRatioCurve`. Here we only
 * interpolate it and pick a size worth recommending.
 */

export interface CurvePoint {
  /** Capacity in entries. */
  size: number;
  /** Hit rate 0..1 an LRU of that capacity would reach on the sampled stream. */
  hitRate: number;
}

export interface SizeSuggestion {
  currentSize: number;
  currentHitRate: number;
  size: number;
  hitRate: number;
}

export interface SizeSuggestionOptions {
  /** Smallest hit-rate gain (absolute, 0..1) worth a recommendation. @default 0.05 */
  minGain?: number;
  /** Largest size suggested, as a multiple of the current size. @default 16 */
  maxGrowthFactor?: number;
  /**
   * Accept the smallest size within this much (absolute) of the best hit rate reachable, i.e. stop at the knee
   * instead of chasing the last fraction of a percent. @default 0.02
   */
  plateauTolerance?: number;
}

/** Valid points sorted by size (the curve comes from another package; be defensive). */
export function normaliseCurve(curve: readonly CurvePoint[]): CurvePoint[] {
  return curve
    .filter((point) => Number.isFinite(point.size) && point.size > 0 && Number.isFinite(point.hitRate))
    .map((point) => ({ size: point.size, hitRate: Math.min(1, Math.max(0, point.hitRate)) }))
    .sort((a, b) => a.size - b.size);
}

/**
 * Hit rate at `size`, linearly interpolated between curve points (and from (0, 0) below the first). Beyond the
 * last point the last value is returned — we never extrapolate a gain the curve does not show.
 */
export function hitRateAtSize(curve: readonly CurvePoint[], size: number): number {
  return interpolate(normaliseCurve(curve), size);
}

function interpolate(curve: readonly CurvePoint[], size: number): number {
  let previous: CurvePoint = { size: 0, hitRate: 0 };
  for (const point of curve) {
    if (size <= point.size) {
      const span = point.size - previous.size;
      const fraction = span > 0 ? (size - previous.size) / span : 1;
      return previous.hitRate + fraction * (point.hitRate - previous.hitRate);
    }
    previous = point;
  }
  return previous.hitRate;
}

/**
 * The smallest capacity above `currentSize` (up to `maxGrowthFactor` × it) that reaches the curve's best hit
 * rate in that range within `plateauTolerance`, or null when the gain would be under `minGain`.
 */
export function suggestCacheSize(
  rawCurve: readonly CurvePoint[],
  currentSize: number,
  options: SizeSuggestionOptions = {},
): SizeSuggestion | null {
  const curve = normaliseCurve(rawCurve);
  if (curve.length === 0 || !(currentSize > 0)) return null;
  const minGain = options.minGain ?? 0.05;
  const maxSize = currentSize * (options.maxGrowthFactor ?? 16);
  const tolerance = options.plateauTolerance ?? 0.02;
  const currentHitRate = interpolate(curve, currentSize);
  const candidates = curve.filter((point) => point.size > currentSize && point.size <= maxSize);
  if (candidates.length === 0) return null;
  const best = Math.max(...candidates.map((point) => point.hitRate));
  const chosen = candidates.find((point) => point.hitRate >= best - tolerance);
  if (!chosen || chosen.hitRate - currentHitRate < minGain) return null;
  return { currentSize, currentHitRate, size: chosen.size, hitRate: chosen.hitRate };
}

/**
 * A conservative lower bound on the hit rate of a cache that can hold the `size` hottest keys, from the top-key
 * counts alone: each of those keys misses at most once (its first access) and hits on every later access, and
 * every other request is counted as a miss. Real LRU can do worse under scans, so callers word it as "up to" and
 * only use it when no miss-ratio curve exists.
 */
export function hitRateLowerBoundFromTopKeys(
  topKeys: ReadonlyArray<{ key: string; count: number }>,
  totalRequests: number,
  size: number,
): number {
  if (!(totalRequests > 0)) return 0;
  const counts = topKeys
    .map((entry) => entry.count)
    .filter((count) => Number.isFinite(count) && count > 0)
    .sort((a, b) => b - a)
    .slice(0, Math.max(0, Math.floor(size)));
  let hits = 0;
  for (const count of counts) hits += count - 1;
  return Math.min(1, hits / totalRequests);
}
