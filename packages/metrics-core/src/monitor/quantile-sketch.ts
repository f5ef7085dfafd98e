/**
 * A mergeable quantile sketch with relative-error guarantees: DDSketch (Masson, Rim, Lee, "DDSketch: A Fast and
 * Fully-Mergeable Quantile Sketch with Relative-Error Guarantees", PVLDB 12(12), 2019).
 *
 * A value x > 0 goes to bucket i = ⌈log_γ x⌉ with γ = (1 + α) / (1 − α) (here with the paper's cheaper
 * interpolated logarithm, see `SketchMapping`); a bucket's representative value is then within relative error
 * α of every value in it. Buckets live in one dense `Uint32Array` over
 * the index range seen so far, grown geometrically and capped at `maxBuckets`; past the cap the lowest buckets
 * are collapsed into one (the paper's "collapsing lowest buckets" variant), so memory per sketch is fixed and
 * the high quantiles we care about keep their guarantee. Insert is O(1) and allocates nothing unless the index
 * range grows.
 */

import type { SketchBuckets } from '../contracts/fleet.js';

/** Default relative accuracy α: 0.75 %, so p50…p99 are within 0.75 % of a true sample at that rank. */
export const DEFAULT_RELATIVE_ACCURACY = 0.0075;
/** Default bucket cap: with α = 0.75 % (≈ 67 buckets per doubling) this spans a factor ≈ 40,000 (e.g. 0.25 ms … 10 s) before collapsing. */
export const DEFAULT_MAX_BUCKETS = 1024;
/** Values at or below this (ms) count in the zero bucket. */
const MIN_INDEXABLE = 1e-6;
const INITIAL_BUCKETS = 32;

export interface QuantileSketchOptions {
  /** Relative accuracy α (0 < α < 1). @default 0.005 */
  relativeAccuracy?: number;
  /** Most buckets kept; lower ones collapse. @default 1024 */
  maxBuckets?: number;
}

/** Scratch views of one float64, to read its exponent and mantissa bits (no allocation per call). */
const FLOAT = new Float64Array(1);
const WORDS = new Uint32Array(FLOAT.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HIGH = LITTLE_ENDIAN ? 1 : 0;
const LOW = LITTLE_ENDIAN ? 0 : 1;
const TWO_POW_MINUS_52 = 2 ** -52;

/**
 * The bucket mapping, shared by every sketch with the same α so that an index computed once fits all of them.
 *
 * Instead of `Math.log` (the costliest step of an insert) it uses the paper's linearly interpolated mapping
 * (§3, and `LinearlyInterpolatedMapping` in DataDog/sketches-java): log₂ x ≈ e + m for x = 2^e · (1 + m), read
 * straight from the float's bits. That approximation is monotone with slope 1…2 against ln x, so buckets of
 * width 1/M in it are at most 1/M wide in ln x; M = 1 / ln γ keeps every bucket within γ = (1 + α) / (1 − α),
 * and the harmonic mean of a bucket's bounds is within α of anything in it. The cost is up to 1.44× more
 * buckets than exact logs for the same α.
 */
export class SketchMapping {
  readonly relativeAccuracy: number;
  readonly gamma: number;
  /** Buckets per unit of the log₂ approximation: 1 / ln γ. */
  readonly multiplier: number;

  constructor(relativeAccuracy = DEFAULT_RELATIVE_ACCURACY) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new RangeError(`[wai:metrics-core] relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
    }
    this.relativeAccuracy = relativeAccuracy;
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.multiplier = 1 / Math.log(this.gamma);
  }

  /** Bucket index of a value; values ≤ 1e-6 map to `-Infinity` (the zero bucket). */
  index(value: number): number {
    if (!(value > MIN_INDEXABLE)) return Number.NEGATIVE_INFINITY;
    FLOAT[0] = value;
    const high = WORDS[HIGH]!;
    const exponent = (high >>> 20) - 1023;
    const mantissa = ((high & 0xfffff) * 4294967296 + WORDS[LOW]!) * TWO_POW_MINUS_52;
    return Math.ceil((exponent + mantissa) * this.multiplier);
  }

  /** The smallest value of bucket `index` (exclusive). */
  lowerBound(index: number): number {
    return inverseLog2Approximation((index - 1) / this.multiplier);
  }

  /** The largest value of bucket `index` (inclusive). */
  upperBound(index: number): number {
    return inverseLog2Approximation(index / this.multiplier);
  }

  /** The representative value of a bucket: the harmonic mean of its bounds, within α of anything in it. */
  value(index: number): number {
    const low = this.lowerBound(index);
    const high = this.upperBound(index);
    return (2 * low * high) / (low + high);
  }
}

function inverseLog2Approximation(approximation: number): number {
  const exponent = Math.floor(approximation);
  return 2 ** exponent * (1 + approximation - exponent);
}

export const defaultMapping = new SketchMapping();

export class QuantileSketch {
  readonly mapping: SketchMapping;
  readonly maxBuckets: number;
  /** Dense counts; `counts[k]` is bucket `offset + k`. Empty until the first value. */
  private counts: Uint32Array;
  private offset = 0;
  /** Buckets `offset .. offset + used - 1` may be non-zero. */
  private used = 0;
  zeroCount = 0;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(options: QuantileSketchOptions | SketchMapping = {}) {
    if (options instanceof SketchMapping) {
      this.mapping = options;
      this.maxBuckets = DEFAULT_MAX_BUCKETS;
    } else {
      this.mapping =
        options.relativeAccuracy === undefined || options.relativeAccuracy === DEFAULT_RELATIVE_ACCURACY
          ? defaultMapping
          : new SketchMapping(options.relativeAccuracy);
      this.maxBuckets = Math.max(8, Math.floor(options.maxBuckets ?? DEFAULT_MAX_BUCKETS));
    }
    this.counts = EMPTY;
  }

  /** Adds one value (ms or any positive unit). Negative and NaN values are ignored. */
  add(value: number): void {
    if (!(value >= 0)) return;
    this.addIndexed(this.mapping.index(value), value);
  }

  /** Adds a value whose bucket index was already computed with `this.mapping` (one log for many sketches). */
  addIndexed(index: number, value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (index === Number.NEGATIVE_INFINITY) {
      this.zeroCount++;
      return;
    }
    const slot = index - this.offset;
    if (slot >= 0 && slot < this.counts.length) {
      this.counts[slot]!++;
      if (slot >= this.used) this.used = slot + 1;
      return;
    }
    this.addSlow(index, 1);
  }

  /** Growth, first value and collapsing: off the hot path. */
  private addSlow(index: number, weight: number): void {
    if (this.used === 0) {
      // First bucket: leave room on both sides since latencies spread either way.
      if (this.counts.length === 0) this.counts = new Uint32Array(Math.min(INITIAL_BUCKETS, this.maxBuckets));
      this.offset = index - (this.counts.length >> 1);
      this.counts[index - this.offset]! += weight;
      this.used = index - this.offset + 1;
      return;
    }
    const low = Math.min(index, this.offset);
    const high = Math.max(index, this.offset + this.used - 1);
    if (high - low + 1 <= this.maxBuckets) {
      this.fitRange(low, high, index < this.offset);
      this.counts[index - this.offset]! += weight;
      if (index - this.offset >= this.used) this.used = index - this.offset + 1;
      return;
    }
    // Over the cap: keep the highest `maxBuckets` buckets, fold everything below into the lowest kept one.
    if (index < this.offset) {
      const floor = high - this.maxBuckets + 1;
      if (this.offset > floor) this.fitRange(floor, high, true);
      this.counts[0]! += weight;
      return;
    }
    const newOffset = high - this.maxBuckets + 1;
    const next = this.counts.length === this.maxBuckets ? this.counts : new Uint32Array(this.maxBuckets);
    let folded = 0;
    const shift = newOffset - this.offset;
    for (let k = 0; k < Math.min(shift, this.used); k++) folded += this.counts[k]!;
    const keep = Math.max(0, this.used - shift);
    if (next === this.counts) {
      this.counts.copyWithin(0, shift, shift + keep);
      this.counts.fill(0, keep);
    } else {
      next.set(this.counts.subarray(shift, shift + keep));
    }
    this.counts = next;
    this.offset = newOffset;
    this.counts[0]! += folded;
    this.counts[index - this.offset]! += weight;
    this.used = Math.max(keep, index - this.offset + 1, 1);
  }

  /**
   * Makes buckets `low..high` addressable (span ≤ maxBuckets, `low ≤ offset`): nothing when they already are,
   * an in-place shift when the array is long enough (no allocation for reused scratch sketches), else a
   * geometric reallocation with the slack on the side the range grows towards.
   */
  private fitRange(low: number, high: number, growingDown: boolean): void {
    if (low >= this.offset && high < this.offset + this.counts.length) return;
    const span = high - low + 1;
    const length = this.counts.length;
    if (span <= length) {
      const newOffset = growingDown ? Math.max(high - length + 1, low - ((length - span) >> 1)) : low;
      const shift = this.offset - newOffset;
      if (shift > 0) {
        this.counts.copyWithin(shift, 0, this.used);
        this.counts.fill(0, 0, Math.min(shift, this.used));
      }
      this.used = this.used > 0 ? this.used + shift : 0;
      this.offset = newOffset;
      return;
    }
    const newLength = Math.min(this.maxBuckets, Math.max(span + (span >> 1), length * 2));
    const next = new Uint32Array(newLength);
    const newOffset = growingDown ? high - newLength + 1 : low;
    if (this.used > 0) next.set(this.counts.subarray(0, this.used), this.offset - newOffset);
    this.used = this.used > 0 ? this.offset - newOffset + this.used : 0;
    this.counts = next;
    this.offset = newOffset;
  }

  /** Adds every value of `other` (same mapping) to this sketch. */
  merge(other: QuantileSketch): void {
    if (other.count === 0) return;
    if (other.mapping.gamma !== this.mapping.gamma) {
      throw new RangeError('[wai:metrics-core] cannot merge sketches with different relative accuracy');
    }
    this.count += other.count;
    this.sum += other.sum;
    this.zeroCount += other.zeroCount;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    if (other.used === 0) return;
    if (this.used === 0) {
      // Empty (e.g. a cleared scratch view): copy the other range in one go, reusing our buffer when it fits.
      if (this.counts.length < other.used) {
        this.counts = new Uint32Array(Math.min(this.maxBuckets, Math.max(other.used, this.counts.length * 2)));
      }
      if (this.counts.length >= other.used) {
        this.offset = other.offset;
        this.counts.set(other.counts.subarray(0, other.used));
        this.used = other.used;
        return;
      }
    } else {
      const low = Math.min(this.offset, other.offset);
      const high = Math.max(this.offset + this.used - 1, other.offset + other.used - 1);
      if (high - low + 1 <= this.maxBuckets) {
        this.fitRange(low, high, other.offset < this.offset);
        const shift = other.offset - this.offset;
        for (let k = 0; k < other.used; k++) this.counts[shift + k]! += other.counts[k]!;
        if (shift + other.used > this.used) this.used = shift + other.used;
        return;
      }
    }
    // Past the cap: bucket by bucket from the top down, so what falls below collapses.
    for (let k = other.used - 1; k >= 0; k--) {
      const weight = other.counts[k]!;
      if (weight !== 0) this.addSlow(other.offset + k, weight);
    }
  }

  /**
   * The value at quantile q (0..1): the bucket holding rank ⌊q·(n−1)⌋ (the paper's lower quantile), clamped to
   * the exact min and max. `NaN`-free: an empty sketch answers 0.
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    const rank = Math.floor(q * (this.count - 1));
    let seen = this.zeroCount;
    if (rank < seen) return this.min < 0 ? 0 : Math.max(0, this.min);
    for (let k = 0; k < this.used; k++) {
      seen += this.counts[k]!;
      if (seen > rank) {
        const estimate = this.mapping.value(this.offset + k);
        return Math.min(this.max, Math.max(this.min, estimate));
      }
    }
    return this.max;
  }

  /**
   * Several quantiles in one pass over the buckets: `qs` ascending, answers written to `out` (same order).
   * Same answers as `quantile(q)` for each.
   */
  quantilesInto(qs: readonly number[], out: number[]): number[] {
    let next = 0;
    while (next < qs.length && (this.count === 0 || qs[next]! <= 0 || qs[next]! >= 1)) {
      // Edge cases have direct answers; only a sorted prefix of them can be handled before the scan.
      out[next] = this.quantile(qs[next]!);
      next++;
    }
    if (next === qs.length) return out;
    let rank = Math.floor(qs[next]! * (this.count - 1));
    let seen = this.zeroCount;
    while (next < qs.length && rank < seen) {
      out[next] = this.quantile(qs[next]!);
      next++;
      if (next < qs.length) rank = Math.floor(qs[next]! * (this.count - 1));
    }
    for (let k = 0; k < this.used && next < qs.length; k++) {
      seen += this.counts[k]!;
      while (next < qs.length && seen > rank) {
        const q = qs[next]!;
        out[next] = q >= 1 ? this.max : Math.min(this.max, Math.max(this.min, this.mapping.value(this.offset + k)));
        next++;
        if (next < qs.length) rank = Math.floor(qs[next]! * (this.count - 1));
      }
    }
    for (; next < qs.length; next++) out[next] = this.quantile(qs[next]!);
    return out;
  }

  /**
   * How many values are ≤ `value`, within the sketch's accuracy (a bucket counts when its representative value
   * is ≤ `value`). Used for Apdex: satisfied = countAtMost(T).
   */
  countAtMost(value: number): number {
    if (this.count === 0) return 0;
    if (value >= this.max) return this.count;
    if (value < this.min) return 0;
    let total = this.zeroCount;
    for (let k = 0; k < this.used; k++) {
      if (this.mapping.value(this.offset + k) > value) break;
      total += this.counts[k]!;
    }
    return total;
  }

  /** The buckets as plain data (a copy), for publishing; `addBuckets` on a sketch with the same α restores them exactly. */
  exportBuckets(): SketchBuckets {
    return {
      relativeAccuracy: this.mapping.relativeAccuracy,
      offset: this.offset,
      counts: this.counts.slice(0, this.used),
      zeroCount: this.zeroCount,
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
    };
  }

  /**
   * Adds exported buckets to this sketch: the same as merging the sketch they came from (DDSketch merges are
   * exact: bucket counts add). Refuses buckets of another α.
   */
  addBuckets(buckets: SketchBuckets): void {
    if (buckets.count === 0) return;
    if (buckets.relativeAccuracy !== this.mapping.relativeAccuracy) {
      throw new RangeError('[wai:metrics-core] cannot merge sketches with different relative accuracy');
    }
    this.merge(QuantileSketch.adopt(this.mapping, { ...buckets, counts: Uint32Array.from(buckets.counts) }));
  }

  /**
   * A sketch over `buckets` (same α as `mapping`) that takes ownership of `buckets.counts` instead of copying
   * it: for a caller that has just decoded the array and hands it over (a fleet read decodes thousands).
   */
  static adopt(mapping: SketchMapping, buckets: SketchBuckets & { counts: Uint32Array }): QuantileSketch {
    const other = new QuantileSketch(mapping);
    other.counts = buckets.counts;
    other.offset = buckets.offset;
    other.used = other.counts.length;
    other.zeroCount = buckets.zeroCount;
    other.count = buckets.count;
    other.sum = buckets.sum;
    other.min = buckets.min;
    other.max = buckets.max;
    if (other.used <= other.maxBuckets) return other;
    // Wider than a sketch may be (a foreign value): merged bucket by bucket, so the lowest buckets collapse.
    const capped = new QuantileSketch(mapping);
    capped.merge(other);
    return capped;
  }

  /** Empties the sketch but keeps its buffer (no allocation when a window slot is reused). */
  clear(): void {
    if (this.used > 0) this.counts.fill(0, 0, this.used);
    this.used = 0;
    this.zeroCount = 0;
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
  }

  /** Bytes held by the bucket array (the per-sketch memory that grows with the value range). */
  get bucketBytes(): number {
    return this.counts.byteLength;
  }

  /** Number of buckets in use (for tests and memory statements). */
  get bucketCount(): number {
    return this.used;
  }
}

const EMPTY = new Uint32Array(0);
