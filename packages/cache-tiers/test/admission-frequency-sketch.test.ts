import { describe, expect, it } from 'vitest';
import { createFrequencySketch, hashKey } from '../src/admission/frequency-sketch.js';

describe('createFrequencySketch (TinyLFU count-min, 4-bit counters)', () => {
  it('counts accesses, never underestimates, and saturates at 15', () => {
    const sketch = createFrequencySketch({ capacity: 1024 });
    const hot = hashKey('hot');
    for (let index = 0; index < 7; index++) sketch.increment(hot);
    expect(sketch.frequency(hot)).toBeGreaterThanOrEqual(7);
    expect(sketch.frequency(hot)).toBeLessThanOrEqual(8);
    for (let index = 0; index < 100; index++) sketch.increment(hot);
    expect(sketch.frequency(hot)).toBe(15);
    expect(sketch.frequency(hashKey('never-seen'))).toBeLessThanOrEqual(1);
  });

  it('keeps keys apart: 1,000 keys seen once each mostly read 1, a hot key stays on top', () => {
    const sketch = createFrequencySketch({ capacity: 1024 });
    const hashes = Array.from({ length: 1000 }, (_, index) => hashKey(`key:${index}`));
    for (const hash of hashes) sketch.increment(hash);
    const overestimated = hashes.filter((hash) => sketch.frequency(hash) > 1).length;
    expect(overestimated).toBeLessThan(50);
  });

  it('halves every counter after sampleSize increments (aging), so old popularity fades', () => {
    const sketch = createFrequencySketch({ capacity: 64, sampleFactor: 1 });
    expect(sketch.sampleSize).toBe(64);
    const old = hashKey('old');
    for (let index = 0; index < 12; index++) sketch.increment(old);
    const before = sketch.frequency(old);
    for (let index = 0; index < 64; index++) sketch.increment(hashKey(`filler:${index}`));
    expect(sketch.frequency(old)).toBeLessThanOrEqual(Math.ceil(before / 2));
    expect(sketch.frequency(old)).toBeGreaterThanOrEqual(Math.floor(before / 2) - 1);
    sketch.clear();
    expect(sketch.frequency(old)).toBe(0);
  });

  it('rejects bad options with E_CONFIG_INVALID', () => {
    expect(() => createFrequencySketch({ capacity: 0 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => createFrequencySketch({ sampleFactor: Number.NaN })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
  });
});
