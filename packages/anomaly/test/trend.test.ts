import { WaiError } from '@wai/metrics-core';
import { describe, expect, it } from 'vitest';
import { analyzeTrend, type TrendPoint } from '../src/trend/analyze-trend.js';
import { formatDuration } from '../src/trend/format-duration.js';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

/** Deterministic noise in [-1, 1) (a linear congruential generator), so the tests never flake. */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 2 - 1;
  };
}

function series(count: number, stepMs: number, value: (i: number) => number): TrendPoint[] {
  return Array.from({ length: count }, (_, i) => ({ t: T0 + i * stepMs, v: value(i) }));
}

describe('analyzeTrend', () => {
  it('recovers slope and intercept of an exact line with both estimators', () => {
    // 2 units per minute from 100.
    const trend = analyzeTrend(series(30, MINUTE, (i) => 100 + 2 * i));
    expect(trend.slope * MINUTE).toBeCloseTo(2, 9);
    expect(trend.leastSquares.slope * MINUTE).toBeCloseTo(2, 9);
    expect(trend.theilSen.slope * MINUTE).toBeCloseTo(2, 9);
    expect(trend.intercept).toBeCloseTo(100, 9);
    expect(trend.rSquared).toBeCloseTo(1, 9);
    expect(trend.direction).toBe('rising');
    expect(trend.pValue).toBeLessThan(1e-6);
    expect(trend.kendallTau).toBe(1);
    expect(trend.forecast(T0 + 60 * MINUTE)).toBeCloseTo(220, 6);
    expect(trend.slopePerHour).toBeCloseTo(120, 6);
  });

  it('Theil–Sen ignores outliers that drag least squares away', () => {
    const random = noise(7);
    const points = series(60, MINUTE, (i) => 50 + 0.5 * i + random() * 0.2);
    // Three huge spikes late in the series (e.g. a GC pause or a retry storm).
    for (const index of [50, 55, 58]) (points[index] as TrendPoint).v += 500;
    const trend = analyzeTrend(points);
    expect(trend.theilSen.slope * MINUTE).toBeCloseTo(0.5, 1);
    expect(Math.abs(trend.leastSquares.slope * MINUTE - 0.5)).toBeGreaterThan(1);
    expect(trend.method).toBe('theil-sen');
    const ols = analyzeTrend(points, { method: 'least-squares' });
    expect(ols.slope).toBe(ols.leastSquares.slope);
  });

  it('calls pure noise flat, with a low r² and a large p-value', () => {
    const random = noise(3);
    const trend = analyzeTrend(series(200, MINUTE, () => 10 + random()));
    expect(trend.direction).toBe('flat');
    expect(trend.significant).toBe(false);
    expect(trend.pValue).toBeGreaterThan(0.05);
    expect(trend.rSquared).toBeLessThan(0.1);
  });

  it('detects a falling trend', () => {
    const random = noise(11);
    const trend = analyzeTrend(series(100, MINUTE, (i) => 0.9 - 0.003 * i + random() * 0.01));
    expect(trend.direction).toBe('falling');
    expect(trend.slope).toBeLessThan(0);
  });

  it('a constant series is flat with a perfect fit and no crossing', () => {
    const trend = analyzeTrend(series(20, MINUTE, () => 5), { threshold: 10 });
    expect(trend.direction).toBe('flat');
    expect(trend.slope).toBe(0);
    expect(trend.rSquared).toBe(1);
    expect(trend.pValue).toBe(1);
    expect(trend.thresholdCrossingMs).toBeNull();
    expect(trend.message).toBe('the series is not trending towards 10');
  });

  it('estimates the time until a heap leak reaches its limit', () => {
    // Heap after GC grows 2 MB/min from 300 MB with ±3 MB of noise; the limit is 512 MB.
    const MB = 1024 * 1024;
    const random = noise(5);
    const points = series(60, MINUTE, (i) => 300 * MB + 2 * MB * i + random() * 3 * MB);
    const trend = analyzeTrend(points, { threshold: 512 * MB, crossing: 'up', label: 'heap', thresholdLabel: 'its limit' });
    // Level at the last point ≈ 300 + 118 = 418 MB → (512 − 418) / 2 ≈ 47 min.
    const minutes = (trend.thresholdCrossingMs as number) / MINUTE;
    expect(minutes).toBeGreaterThan(44);
    expect(minutes).toBeLessThan(50);
    expect(trend.thresholdCrossingAt).toBe(T0 + 59 * MINUTE + (trend.thresholdCrossingMs as number));
    expect(trend.message).toMatch(/^heap reaches its limit in ~4[4-9] min$/);
    expect(trend.rSquared).toBeGreaterThan(0.95);
  });

  it('measures the crossing from `now` and honours the crossing side', () => {
    const points = series(10, MINUTE, (i) => i); // 1 per minute, 9 at the last point
    const later = analyzeTrend(points, { threshold: 20, now: T0 + 15 * MINUTE });
    expect((later.thresholdCrossingMs as number) / MINUTE).toBeCloseTo(5, 9);
    expect(analyzeTrend(points, { threshold: 5, crossing: 'up' }).thresholdCrossingMs).toBe(0);
    expect(analyzeTrend(points, { threshold: 5, crossing: 'up' }).message).toBe('the series has reached 5');
    // Rising and already above: it will never come down to 5.
    expect(analyzeTrend(points, { threshold: 5, crossing: 'down' }).thresholdCrossingMs).toBeNull();
    expect(analyzeTrend(points, { threshold: 5 }).thresholdCrossingMs).toBeNull();
    // A falling hit rate reaching a floor.
    const falling = series(10, MINUTE, (i) => 0.9 - 0.01 * i);
    expect((analyzeTrend(falling, { threshold: 0.5, crossing: 'down' }).thresholdCrossingMs as number) / MINUTE).toBeCloseTo(31, 6);
  });

  it('samples pairs for long series and stays close to the exact slope, deterministically', () => {
    const random = noise(13);
    const points = series(5000, 1000, (i) => 3 + 0.01 * i + random());
    const trend = analyzeTrend(points);
    expect(trend.theilSen.sampled).toBe(true);
    expect(trend.theilSen.pairs).toBeLessThan(100_000);
    expect(trend.theilSen.slope * 1000).toBeCloseTo(0.01, 3);
    expect(analyzeTrend(points).theilSen.slope).toBe(trend.theilSen.slope);
    expect(trend.direction).toBe('rising');
    const small = analyzeTrend(series(50, 1000, (i) => i), { maxPairs: 100 });
    expect(small.theilSen.sampled).toBe(true);
    expect(small.theilSen.pairs).toBe(100);
  });

  it('accepts unsorted points and ignores pairs with equal t', () => {
    const points = [
      { t: T0 + 2 * MINUTE, v: 4 },
      { t: T0, v: 0 },
      { t: T0 + MINUTE, v: 2 },
      { t: T0 + MINUTE, v: 2 },
    ];
    const trend = analyzeTrend(points);
    expect(trend.from).toBe(T0);
    expect(trend.to).toBe(T0 + 2 * MINUTE);
    expect(trend.slope * MINUTE).toBeCloseTo(2, 9);
  });

  it('rejects bad input with a typed error', () => {
    const bad = (call: () => unknown): WaiError => {
      try {
        call();
      } catch (error) {
        if (WaiError.isInstance(error)) return error;
        throw error;
      }
      throw new Error('expected a throw');
    };
    expect(bad(() => analyzeTrend('x' as never)).code).toBe('E_INVALID_ARGUMENT');
    expect(bad(() => analyzeTrend([])).code).toBe('E_INVALID_ARGUMENT');
    expect(bad(() => analyzeTrend([{ t: 1, v: 1 }, { t: 1, v: 2 }])).code).toBe('E_INVALID_ARGUMENT');
    expect(bad(() => analyzeTrend([{ t: 1, v: Number.NaN }, { t: 2, v: 2 }])).code).toBe('E_INVALID_ARGUMENT');
    expect(bad(() => analyzeTrend(series(3, 1, (i) => i), { alpha: 2 })).code).toBe('E_INVALID_ARGUMENT');
    expect(bad(() => analyzeTrend(series(3, 1, (i) => i), { threshold: Number.POSITIVE_INFINITY })).code).toBe('E_INVALID_ARGUMENT');
    expect(bad(() => analyzeTrend(series(3, 1, (i) => i), { maxPairs: 0 })).message).toMatch(/^\[wai:anomaly\]/);
  });
});

describe('formatDuration', () => {
  it('picks a readable unit', () => {
    expect(formatDuration(45_000)).toBe('~45 s');
    expect(formatDuration(37 * MINUTE)).toBe('~37 min');
    expect(formatDuration(5.2 * 60 * MINUTE)).toBe('~5.2 h');
    expect(formatDuration(30 * 60 * MINUTE)).toBe('~30 h');
    expect(formatDuration(72 * 60 * MINUTE)).toBe('~3 d');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('never');
  });
});
