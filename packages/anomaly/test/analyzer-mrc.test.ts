import { describe, expect, it } from 'vitest';
import { hitRateAtSize, hitRateLowerBoundFromTopKeys, suggestCacheSize } from '../src/mrc/miss-ratio-curve.js';

const curve = [
  { size: 4000, hitRate: 0.8 },
  { size: 1000, hitRate: 0.3 },
  { size: 2000, hitRate: 0.6 },
  { size: 8000, hitRate: 0.81 },
];

describe('miss-ratio curve helpers', () => {
  it('interpolates the hit rate between points, from (0, 0) below, and never extrapolates above', () => {
    expect(hitRateAtSize(curve, 1500)).toBeCloseTo(0.45, 9);
    expect(hitRateAtSize(curve, 500)).toBeCloseTo(0.15, 9);
    expect(hitRateAtSize(curve, 2000)).toBeCloseTo(0.6, 9);
    expect(hitRateAtSize(curve, 100_000)).toBe(0.81);
    expect(hitRateAtSize([], 10)).toBe(0);
    // Invalid points from a source are ignored, out-of-range hit rates clamped.
    expect(hitRateAtSize([{ size: Number.NaN, hitRate: 1 }, { size: 10, hitRate: 1.5 }], 10)).toBe(1);
  });

  it('suggests the smallest size at the plateau, within the growth limit, when the gain is worth it', () => {
    expect(suggestCacheSize(curve, 1000)).toEqual({ currentSize: 1000, currentHitRate: 0.3, size: 4000, hitRate: 0.8 });
    expect(suggestCacheSize(curve, 1000, { maxGrowthFactor: 2 })).toMatchObject({ size: 2000, hitRate: 0.6 });
    // Already at the plateau: 0.80 → 0.81 is under minGain.
    expect(suggestCacheSize(curve, 4000)).toBeNull();
    expect(suggestCacheSize(curve, 8000)).toBeNull();
    expect(suggestCacheSize(curve, 0)).toBeNull();
    expect(suggestCacheSize(curve, 1000, { minGain: 0.6 })).toBeNull();
  });

  it('bounds the hit rate from the hottest keys conservatively', () => {
    const topKeys = [
      { key: 'a', count: 50 },
      { key: 'b', count: 30 },
      { key: 'c', count: 1 },
      { key: 'd', count: 20 },
    ];
    // Holding the two hottest: (49 + 29) / 200.
    expect(hitRateLowerBoundFromTopKeys(topKeys, 200, 2)).toBeCloseTo(0.39, 9);
    // All of them: a key seen once never hits.
    expect(hitRateLowerBoundFromTopKeys(topKeys, 200, 10)).toBeCloseTo(0.485, 9);
    expect(hitRateLowerBoundFromTopKeys(topKeys, 0, 10)).toBe(0);
  });
});
