import { median } from 'simple-statistics';

/** Result of the Theil–Sen estimator plus the Kendall S statistic computed from the same pairs. */
export interface TheilSenFit {
  /** Median of the pairwise slopes (units of y per unit of x). */
  slope: number;
  /** Median of `y − slope·x` (the line's value at x = 0). */
  intercept: number;
  /** Pairs the slope was taken over. */
  pairs: number;
  /** True when the pairs were a random sample rather than all n(n−1)/2 of them. */
  sampled: boolean;
  /**
   * Kendall's S over all pairs: Σ sign(y_j − y_i) for x_i < x_j (estimated from the sample when `sampled`, scaled
   * to the full pair count).
   */
  kendallS: number;
}

/** Total pairs in n points. */
export const pairCount = (n: number): number => (n * (n - 1)) / 2;

/**
 * Deterministic PRNG (mulberry32) so repeated analyses of the same series give the same estimate.
 * Source: Tommy Ettinger's public-domain mulberry32.
 */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Theil–Sen slope: the median of the slopes through every pair of points with distinct x.
 * Sen, P. K. (1968) "Estimates of the regression coefficient based on Kendall's tau", JASA 63(324):1379–1389;
 * Theil, H. (1950) "A rank-invariant method of linear and polynomial regression analysis".
 * It tolerates up to ~29 % outliers (breakdown point), which matters for GC sawtooth and latency spikes.
 *
 * All pairs are used while n(n−1)/2 ≤ `maxPairs`; above that, `maxPairs` random pairs are drawn (with a seeded
 * PRNG), which keeps the cost O(maxPairs) and the median's sampling error O(1/√maxPairs). Exact
 * O(n log n) algorithms exist (Matoušek 1991, "Randomized optimal algorithm for slope selection"), but for
 * monitoring series sampling is simpler and precise enough. `xs` must be sorted ascending.
 */
export function theilSen(xs: readonly number[], ys: readonly number[], maxPairs: number, seed = 1): TheilSenFit {
  const n = xs.length;
  const total = pairCount(n);
  const slopes: number[] = [];
  let signSum = 0;
  let signPairs = 0;
  const visit = (i: number, j: number): void => {
    // xs is sorted, so i < j means x_i ≤ x_j; pairs with equal x carry no slope.
    const dx = (xs[j] as number) - (xs[i] as number);
    const dy = (ys[j] as number) - (ys[i] as number);
    if (dx === 0) return;
    slopes.push(dy / dx);
    signSum += Math.sign(dy);
    signPairs += 1;
  };

  const sampled = total > maxPairs;
  if (!sampled) {
    for (let i = 0; i < n - 1; i++) for (let j = i + 1; j < n; j++) visit(i, j);
  } else {
    const random = mulberry32(seed);
    for (let k = 0; k < maxPairs; k++) {
      const a = Math.floor(random() * n);
      let b = Math.floor(random() * (n - 1));
      if (b >= a) b += 1;
      visit(Math.min(a, b), Math.max(a, b));
    }
  }

  if (slopes.length === 0) {
    return { slope: 0, intercept: median(ys as number[]), pairs: 0, sampled, kendallS: 0 };
  }
  const slope = median(slopes);
  const residuals = new Array<number>(n);
  for (let i = 0; i < n; i++) residuals[i] = (ys[i] as number) - slope * (xs[i] as number);
  const intercept = median(residuals);
  const kendallS = sampled ? (signSum / signPairs) * total : signSum;
  return { slope, intercept, pairs: slopes.length, sampled, kendallS };
}
