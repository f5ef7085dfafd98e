/**
 * A sliding window of the last `capacity` values kept both in arrival order (a ring buffer, to know which
 * value leaves) and in sorted order (to read order statistics). Insertion and removal find their slot by
 * binary search (O(log n) comparisons) and shift the tail with one `copyWithin` (a memmove of at most
 * `capacity` doubles, a few nanoseconds per hundred slots) — the same trade pandas' rolling median and
 * Redis' sorted-set listpacks make for small n, and far cheaper than a sort per point.
 *
 * The median absolute deviation is read exactly in O(log² n) without materialising |x − median|: the
 * distances below and above the median form two sorted sequences, and the MAD is the k-th smallest of
 * their union, found by binary search on the distance (count of values within ±d of the median by two
 * binary searches).
 */
export class SortedWindow {
  readonly capacity: number;
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  private count = 0;
  private sum = 0;
  private sumSquares = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a value, evicting the oldest one when full. */
  push(value: number): void {
    if (this.count === this.capacity) {
      const oldest = this.ring[this.head] as number;
      this.removeSorted(oldest);
      this.sum -= oldest;
      this.sumSquares -= oldest * oldest;
      this.ring[this.head] = value;
      this.head = (this.head + 1) % this.capacity;
    } else {
      this.ring[(this.head + this.count) % this.capacity] = value;
      this.count += 1;
    }
    this.insertSorted(value);
    this.sum += value;
    this.sumSquares += value * value;
  }

  clear(): void {
    this.sortedFilled = 0;
    this.head = 0;
    this.count = 0;
    this.sum = 0;
    this.sumSquares = 0;
  }

  /** Linear-interpolated quantile (type 7, as R and simple-statistics' `quantileSorted` for interior p). */
  quantile(p: number): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const position = p * (n - 1);
    const lower = Math.floor(position);
    const fraction = position - lower;
    const low = this.sorted[lower] as number;
    if (fraction === 0 || lower + 1 >= n) return low;
    return low + fraction * ((this.sorted[lower + 1] as number) - low);
  }

  median(): number {
    return this.quantile(0.5);
  }

  mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  /** Population standard deviation of the window (running sums, recomputed exactly when drift could matter). */
  standardDeviation(): number {
    if (this.count < 2) return 0;
    const mean = this.sum / this.count;
    const variance = this.sumSquares / this.count - mean * mean;
    return variance > 0 ? Math.sqrt(variance) : 0;
  }

  min(): number {
    return this.count === 0 ? Number.NaN : (this.sorted[0] as number);
  }

  max(): number {
    return this.count === 0 ? Number.NaN : (this.sorted[this.count - 1] as number);
  }

  /**
   * Median absolute deviation around `center` (the median by default), exact, as simple-statistics'
   * `medianAbsoluteDeviation` (the median of |x − center|, averaging the two middle ones when n is even).
   */
  medianAbsoluteDeviation(center = this.median()): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const split = this.upperBound(center);
    if (n % 2 === 1) return this.kthDistance(split, center, (n + 1) / 2);
    return (this.kthDistance(split, center, n / 2) + this.kthDistance(split, center, n / 2 + 1)) / 2;
  }

  /**
   * k-th smallest (1-based) of the union of A[i] = center − sorted[split−1−i] and B[j] = sorted[split+j] −
   * center, both ascending: the classic O(log n) selection in two sorted arrays.
   */
  private kthDistance(split: number, center: number, k: number): number {
    // No closures here: this runs per point, and bundlers that keep function names wrap every closure.
    const sorted = this.sorted;
    const lengthA = split;
    const lengthB = this.count - split;
    let low = Math.max(0, k - lengthB);
    let high = Math.min(k, lengthA);
    while (low <= high) {
      const takeA = (low + high) >>> 1;
      const takeB = k - takeA;
      const aLeft = takeA > 0 ? center - (sorted[split - takeA] as number) : -Infinity;
      const aRight = takeA < lengthA ? center - (sorted[split - 1 - takeA] as number) : Infinity;
      const bLeft = takeB > 0 ? (sorted[split + takeB - 1] as number) - center : -Infinity;
      const bRight = takeB < lengthB ? (sorted[split + takeB] as number) - center : Infinity;
      if (aLeft > bRight) high = takeA - 1;
      else if (bLeft > aRight) low = takeA + 1;
      else return Math.max(aLeft, bLeft);
    }
    return Number.NaN;
  }

  /** Number of values v with |v − center| ≤ distance. */
  countWithin(center: number, distance: number): number {
    return this.upperBound(center + distance) - this.lowerBound(center - distance);
  }

  /** Fraction of window values strictly below `value` (0..1), an empirical CDF. */
  rank(value: number): number {
    return this.count === 0 ? 0.5 : this.lowerBound(value) / this.count;
  }

  /** First index whose value is ≥ target. */
  private lowerBound(target: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.sorted[mid] as number) < target) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** First index whose value is > target. */
  private upperBound(target: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.sorted[mid] as number) <= target) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private insertSorted(value: number): void {
    // `count` already includes the value when the window was not full; the sorted part holds count − 1.
    const filled = this.sortedLength();
    let low = 0;
    let high = filled;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.sorted[mid] as number) <= value) low = mid + 1;
      else high = mid;
    }
    this.sorted.copyWithin(low + 1, low, filled);
    this.sorted[low] = value;
    this.sortedFilled = filled + 1;
  }

  private removeSorted(value: number): void {
    const index = this.lowerBound(value);
    this.sorted.copyWithin(index, index + 1, this.sortedFilled);
    this.sortedFilled -= 1;
  }

  private sortedFilled = 0;

  private sortedLength(): number {
    return this.sortedFilled;
  }
}
