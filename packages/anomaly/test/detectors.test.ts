import { medianAbsoluteDeviation, median, quantile } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { WaiError } from '@wai/metrics-core';
import {
  createAnomalyDetector,
  createCusumDetector,
  createEwmaDetector,
  createRobustZScoreDetector,
  createSeasonalDetector,
  type DetectorResult,
  type StreamingDetector,
} from '../src/index.js';
import { logTwoSidedTail, zToScore } from '../src/detectors/calibration.js';
import { SlidingRange } from '../src/detectors/range-novelty.js';
import { SortedWindow } from '../src/detectors/sorted-window.js';
import { START, createRandom, daily, series } from './detectors-synthetic.js';

function run(detector: StreamingDetector, points: Array<{ value: number; timestamp: number }>): DetectorResult[] {
  return points.map((point) => detector.update(point.value, point.timestamp));
}
const flagged = (results: DetectorResult[]): number[] => results.flatMap((result, index) => (result.isAnomaly ? [index] : []));

const SPIKE_AT = 900;
const spiky = series(1200, (index) => (index === SPIKE_AT ? 50 + 25 : 50), 2, 7);
const SHIFT_AT = 800;
const shifted = series(1400, (index) => (index < SHIFT_AT ? 50 : 62), 2, 11);
const TREND_AT = 800;
// Flat, then a ramp of +0.15 per point (a leak starting): about 0.07σ per point at first.
const trending = series(1400, (index) => (index < TREND_AT ? 50 : 50 + 0.15 * (index - TREND_AT)), 2, 13);
const seasonal = series(288 * 14, daily, 3, 17);

describe('building blocks', () => {
  it('SortedWindow matches simple-statistics on every sliding window', () => {
    const random = createRandom(3);
    const window = new SortedWindow(41);
    const reference: number[] = [];
    for (let index = 0; index < 3000; index += 1) {
      // Quantised values with outliers: many ties, the hard case for MAD bookkeeping.
      const value = Math.round(random.gaussian() * 5) + (index % 13 === 0 ? 100 : 0);
      window.push(value);
      reference.push(value);
      if (reference.length > 41) reference.shift();
      expect(window.median()).toBe(median(reference));
      expect(window.medianAbsoluteDeviation()).toBe(medianAbsoluteDeviation(reference));
      expect(window.quantile(0.9)).toBeCloseTo(quantile(reference, 0.9), 9);
    }
  });

  it('SlidingRange tracks the min and max of the last n values', () => {
    const random = createRandom(5);
    const range = new SlidingRange(25);
    const reference: number[] = [];
    for (let index = 0; index < 2000; index += 1) {
      const value = random.uniform();
      range.push(value);
      reference.push(value);
      if (reference.length > 25) reference.shift();
      expect([range.min(), range.max()]).toEqual([Math.min(...reference), Math.max(...reference)]);
    }
  });

  it('calibrates scores on the Gaussian tail: 0.5 exactly at the alarm z, monotone far into the tail', () => {
    expect(Math.exp(logTwoSidedTail(1.959964))).toBeCloseTo(0.05, 6);
    expect(Math.exp(logTwoSidedTail(3))).toBeCloseTo(0.0026998, 6);
    expect(zToScore(4, 4)).toBeCloseTo(0.5, 12);
    let previous = 0;
    for (let z = 0.5; z < 60; z += 0.5) {
      const score = zToScore(z, 4);
      expect(score).toBeGreaterThan(previous);
      expect(score).toBeLessThan(1);
      previous = score;
    }
  });
});

const detectors: Array<[string, () => StreamingDetector]> = [
  ['robust z-score', () => createRobustZScoreDetector()],
  ['EWMA', () => createEwmaDetector()],
  // 600 points of warm-up: the range check's records are only meaningful over a long enough history.
  ['default ensemble', () => createAnomalyDetector({ warmUp: 600 })],
];

describe.each(detectors)('%s', (_name, create) => {
  it('flags a spike at the spike and nowhere else', () => {
    expect(flagged(run(create(), spiky))).toEqual([SPIKE_AT]);
  });

  it('flags a level shift within 5 points of it, and not before', () => {
    const flags = flagged(run(create(), shifted));
    expect(flags.length).toBeGreaterThan(0);
    expect(flags[0]).toBeGreaterThanOrEqual(SHIFT_AT);
    expect(flags[0]).toBeLessThanOrEqual(SHIFT_AT + 5);
  });

  it('keeps scores in 0..1, the band around the expectation, and nothing flagged while warming up', () => {
    const results = run(create(), spiky);
    for (const result of results) {
      expect(result.score).toBeGreaterThanOrEqual(0);
      expect(result.score).toBeLessThanOrEqual(1);
      expect(result.lower).toBeLessThanOrEqual(result.expected);
      expect(result.upper).toBeGreaterThanOrEqual(result.expected);
      if (result.warmingUp) expect(result.isAnomaly).toBe(false);
    }
    const settled = results[600] as DetectorResult;
    expect(settled.expected).toBeGreaterThan(48);
    expect(settled.expected).toBeLessThan(52);
    expect(settled.upper - settled.lower).toBeGreaterThan(4);
  });

  it('replays identically after reset()', () => {
    const detector = create();
    const first = run(detector, spiky.slice(0, 400)).map((result) => result.score);
    detector.reset();
    expect(run(detector, spiky.slice(0, 400)).map((result) => result.score)).toEqual(first);
  });

  it('rejects a non-finite value with a typed error', () => {
    const detector = create();
    expect(() => detector.update(Number.NaN, 0)).toThrow(WaiError);
    expect(() => detector.update(1, Number.POSITIVE_INFINITY)).toThrow(/timestamp/);
  });
});

describe('CUSUM change-point detector', () => {
  it('detects a level shift of 6σ within 5 points and raises one alarm for it', () => {
    const flags = flagged(run(createCusumDetector(), shifted));
    expect(flags[0]).toBeGreaterThanOrEqual(SHIFT_AT);
    expect(flags[0]).toBeLessThanOrEqual(SHIFT_AT + 5);
    expect(flags.filter((index) => index > SHIFT_AT + 5)).toEqual([]);
  });

  it('detects a slow trend change (a leak) that no single point reveals', () => {
    const flags = flagged(run(createCusumDetector(), trending));
    expect(flags.filter((index) => index < TREND_AT)).toEqual([]);
    expect(flags[0]).toBeGreaterThan(TREND_AT);
    expect(flags[0]).toBeLessThan(TREND_AT + 100);
    // The robust z-score alone sees it much later, if at all: this is what the CUSUM adds.
    const robust = flagged(run(createRobustZScoreDetector(), trending));
    expect(robust.length === 0 || (robust[0] as number) > (flags[0] as number)).toBe(true);
  });

  it('keeps the in-control run length of its design on noise (h = 8: ≈ 9,500 points between false alarms)', () => {
    const flags = flagged(run(createCusumDetector(), series(40_000, () => 10, 1, 23)));
    expect(flags.length).toBeLessThanOrEqual(12);
    // With the textbook h = 5 (ARL ≈ 470) the same noise raises dozens: the parameter is doing its job.
    expect(flagged(run(createCusumDetector({ decisionInterval: 5 }), series(40_000, () => 10, 1, 23))).length).toBeGreaterThan(30);
  });
});

describe('seasonality without anomalies raises no flags', () => {
  it('seasonal baseline: learns the daily profile and flags nothing over two weeks', () => {
    const results = run(createSeasonalDetector(), seasonal);
    expect(flagged(results)).toEqual([]);
    const noon = results[288 * 10 + 72] as DetectorResult; // 06:00 on day 10: the daily peak
    expect(noon.expected).toBeGreaterThan(130);
    expect(noon.upper - noon.lower).toBeLessThan(60);
  });

  it('seasonal baseline: flags a value normal for the day but not for that hour', () => {
    const points = seasonal.map((point, index) => (index === 288 * 12 + 216 ? { ...point, value: 135 } : point)); // a peak value at the trough hour
    const flags = flagged(run(createSeasonalDetector(), points));
    expect(flags).toEqual([288 * 12 + 216]);
  });

  it('seasonal baseline: trusts a slot only once it holds data from an earlier day, however fast the sampling', () => {
    // Every 30 s a slot gets 10 samples in 5 minutes; trusting it then scored the rest of the hour against a 10-sample
    // σ of that same hour (no seasonal knowledge) and raised false alarms 10 points into every hour of a new series.
    const random = createRandom(31);
    const start = START + 13 * 60_000 + 7_000; // hours begin mid-series
    const points = Array.from({ length: 2 * 2880 }, (_, index) => ({ value: 80 + 3 * random.gaussian(), timestamp: start + index * 30_000 }));
    const results = run(createSeasonalDetector({ warmUp: 0 }), points);
    const midnight = points.findIndex((point) => point.timestamp >= START + 86_400_000); // days are UTC calendar days
    expect(midnight).toBeGreaterThan(2800);
    expect(results.slice(0, midnight).every((result) => result.warmingUp)).toBe(true);
    expect(results.slice(midnight).every((result) => !result.warmingUp)).toBe(true);
    expect(flagged(results)).toEqual([]);
  });

  it('default ensemble: quiet on steady noise sampled every 30 s at any hour phase, and catches a jump at once', () => {
    for (let seed = 1; seed <= 8; seed += 1) {
      const random = createRandom(100 + seed);
      const start = START + seed * 7 * 60_000 + seed * 1_000;
      const steady = Array.from({ length: 2800 }, (_, index) => ({ value: 80 + 4 * random.gaussian(), timestamp: start + index * 30_000 }));
      expect(flagged(run(createAnomalyDetector({ warmUp: 20 }), steady)), `seed ${seed}`).toEqual([]);
      const jump = steady.map((point, index) => (index >= 2000 ? { ...point, value: 900 } : point));
      expect(flagged(run(createAnomalyDetector(), jump))[0], `seed ${seed}`).toBe(2000);
    }
  });

  it('default ensemble: no flags after warm-up on two weeks of daily seasonality', () => {
    expect(flagged(run(createAnomalyDetector(), seasonal))).toEqual([]);
  });

  it('default ensemble: no flags on a minute-resolution daily cycle from the very first day', () => {
    // Before a full day has been seen, every rise of the cycle is a "new high": the range check waits a day.
    const minutely = series(3 * 1440, (index) => 120 + 30 * Math.sin((2 * Math.PI * index) / 1440), 2, 29).map((point, index) => ({
      ...point,
      timestamp: Date.UTC(2026, 0, 5) + index * 60_000,
    }));
    expect(flagged(run(createAnomalyDetector(), minutely))).toEqual([]);
    const withSpike = minutely.map((point, index) => (index === 4300 ? { ...point, value: 480 } : point));
    expect(flagged(run(createAnomalyDetector(), withSpike))).toEqual([4300]);
  });

  it('default ensemble: still flags a spike on top of the seasonality', () => {
    const at = 288 * 9 + 100;
    const points = seasonal.map((point, index) => (index === at ? { ...point, value: point.value + 60 } : point));
    expect(flagged(run(createAnomalyDetector(), points))).toEqual([at]);
  });
});

describe('default ensemble', () => {
  it('raises one alarm per episode on a level shift, not one per point while the windows catch up', () => {
    const flags = flagged(run(createAnomalyDetector({ warmUp: 600 }), shifted));
    expect(flags.filter((index) => index < SHIFT_AT)).toEqual([]);
    // The shift itself, then at most a later "new high of the new regime" from the range check.
    expect(flags[0]).toBe(SHIFT_AT);
    expect(flags.filter((index) => index >= SHIFT_AT && index < SHIFT_AT + 400).length).toBeLessThanOrEqual(2);
    // Without the onset rule and cooldown, the robust z-score alone keeps alarming while its window adapts.
    const robust = flagged(run(createRobustZScoreDetector(), shifted));
    expect(robust.filter((index) => index >= SHIFT_AT && index < SHIFT_AT + 400).length).toBeGreaterThan(5);
  });

  it('explains its score with per-component evidence', () => {
    const result = run(createAnomalyDetector({ warmUp: 600 }), spiky)[SPIKE_AT] as DetectorResult;
    expect(result.isAnomaly).toBe(true);
    expect(result.score).toBeGreaterThan(0.5);
    expect(result.evidence).toMatchObject({ suppressed: false });
    expect(['value', 'change', 'range', 'seasonal', 'cusum']).toContain(result.evidence?.['component']);
  });

  it('validates options with a ConfigError naming the option', () => {
    expect(() => createAnomalyDetector({ window: 1 })).toThrow(/`window`/);
    expect(() => createAnomalyDetector({ threshold: 2 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => createSeasonalDetector({ bucketsPerDay: 0 })).toThrow(/bucketsPerDay/);
    expect(() => createEwmaDetector({ alpha: 0 })).toThrow(/alpha/);
    expect(() => createCusumDetector({ decisionInterval: -1 })).toThrow(/decisionInterval/);
  });
});
