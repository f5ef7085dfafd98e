import { describe, expect, it } from 'vitest';
import { QuantileSketch, SketchMapping } from './quantile-sketch.js';
import { exactQuantile, logNormalSamples, seededRandom } from '../../test/random.js';

const QUANTILES = [0.5, 0.9, 0.95, 0.99];

describe('QuantileSketch (DDSketch)', () => {
  it('keeps p50/p90/p95/p99 within 1 % of the exact quantiles on log-normal latencies', () => {
    const values = logNormalSamples(200_000, Math.log(40), 1.1);
    const sketch = new QuantileSketch();
    for (const value of values) sketch.add(value);
    const sorted = Float64Array.from(values).sort();
    for (const q of QUANTILES) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(sketch.quantile(q) - exact) / exact, `q=${q}`).toBeLessThanOrEqual(0.01);
    }
    expect(sketch.max).toBe(sorted[sorted.length - 1]);
    expect(sketch.min).toBe(sorted[0]);
    expect(sketch.count).toBe(values.length);
  });

  it('merges into the same answer as one sketch over all values', () => {
    const values = logNormalSamples(50_000, Math.log(5), 2, 7);
    const whole = new QuantileSketch();
    const parts = [new QuantileSketch(), new QuantileSketch(), new QuantileSketch()];
    values.forEach((value, i) => {
      whole.add(value);
      parts[i % 3]!.add(value);
    });
    const merged = new QuantileSketch();
    for (const part of parts) merged.merge(part);
    for (const q of QUANTILES) expect(merged.quantile(q)).toBe(whole.quantile(q));
    expect(merged.count).toBe(whole.count);
    expect(merged.sum).toBeCloseTo(whole.sum, 6);
  });

  it('a reused scratch sketch merges exactly, whatever order the ranges come in', () => {
    const random = seededRandom(11);
    const scratch = new QuantileSketch();
    for (let round = 0; round < 200; round++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 6) }, () => new QuantileSketch());
      const whole = new QuantileSketch();
      for (const part of parts) {
        const center = 10 ** (random() * 6 - 2);
        const spread = 1 + random() * 20;
        for (let i = 0; i < 1 + random() * 50; i++) {
          const value = center * spread ** (random() * 2 - 1);
          part.add(value);
          whole.add(value);
        }
      }
      scratch.clear();
      for (const part of parts) scratch.merge(part);
      for (let q = 0.01; q < 1; q += 0.07) expect(scratch.quantile(q)).toBe(whole.quantile(q));
      expect(scratch.count).toBe(whole.count);
    }
  });

  it('holds memory fixed by collapsing the lowest buckets, keeping the high quantiles accurate', () => {
    const sketch = new QuantileSketch({ maxBuckets: 128 });
    const random = seededRandom(3);
    const values: number[] = [];
    // Nine decades of values: far more than 128 buckets at 0.5 % accuracy.
    for (let i = 0; i < 20_000; i++) values.push(10 ** (random() * 9 - 3));
    for (const value of values) sketch.add(value);
    expect(sketch.bucketCount).toBeLessThanOrEqual(128);
    expect(sketch.bucketBytes).toBeLessThanOrEqual(128 * 4);
    const sorted = Float64Array.from(values).sort();
    const exact = exactQuantile(sorted, 0.99);
    expect(Math.abs(sketch.quantile(0.99) - exact) / exact).toBeLessThanOrEqual(0.01);
    expect(sketch.count).toBe(values.length);
  });

  it('answers 0 when empty, counts zeros, ignores negative and NaN values', () => {
    const sketch = new QuantileSketch();
    expect(sketch.quantile(0.5)).toBe(0);
    sketch.add(Number.NaN);
    sketch.add(-1);
    expect(sketch.count).toBe(0);
    sketch.add(0);
    sketch.add(0);
    sketch.add(10);
    expect(sketch.quantile(0.5)).toBe(0);
    expect(sketch.quantile(1)).toBe(10);
    expect(sketch.countAtMost(5)).toBe(2);
  });

  it('maps every value to a bucket whose representative is within α of it', () => {
    const random = seededRandom(99);
    for (const alpha of [0.0075, 0.005, 0.02]) {
      const mapping = new SketchMapping(alpha);
      let worst = 0;
      let outside = 0;
      for (let i = 0; i < 100_000; i++) {
        const value = 10 ** (random() * 12 - 5);
        const index = mapping.index(value);
        if (!(value > mapping.lowerBound(index) * (1 - 1e-12) && value <= mapping.upperBound(index) * (1 + 1e-12))) outside++;
        worst = Math.max(worst, Math.abs(mapping.value(index) - value) / value);
      }
      expect(outside).toBe(0);
      expect(worst).toBeLessThanOrEqual(alpha);
      expect(worst).toBeGreaterThan(alpha * 0.5); // the bound is tight, not vacuous
    }
  });

  it('quantilesInto answers like quantile() for each q, in one pass', () => {
    const random = seededRandom(5);
    const qs = [0, 0.001, 0.1, 0.5, 0.5, 0.9, 0.95, 0.99, 0.999, 1];
    for (let round = 0; round < 50; round++) {
      const sketch = new QuantileSketch();
      const n = Math.floor(random() * 200);
      for (let i = 0; i < n; i++) sketch.add(random() < 0.1 ? 0 : 10 ** (random() * 4));
      expect(sketch.quantilesInto(qs, [])).toEqual(qs.map((q) => sketch.quantile(q)));
    }
  });

  it('rejects an invalid relative accuracy', () => {
    expect(() => new QuantileSketch({ relativeAccuracy: 1.5 })).toThrow(/relativeAccuracy/);
  });

  it('clear() empties it for reuse', () => {
    const sketch = new QuantileSketch();
    for (let i = 1; i <= 100; i++) sketch.add(i);
    sketch.clear();
    expect(sketch.count).toBe(0);
    sketch.add(7);
    expect(sketch.quantile(0.5)).toBeCloseTo(7, 1);
  });
});
