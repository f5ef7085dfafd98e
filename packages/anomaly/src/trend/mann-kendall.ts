import { errorFunction } from 'simple-statistics';

export interface MannKendallTest {
  /** Kendall's tau-a between time and value, −1..1. */
  tau: number;
  /** Normal-approximation test statistic (with continuity correction). */
  z: number;
  /** Two-sided p-value of "no monotonic trend". */
  pValue: number;
}

/**
 * Mann–Kendall trend test from Kendall's S: under "no trend", S is approximately normal with
 * Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18, where t runs over the sizes of groups of tied values.
 * Mann, H. B. (1945) "Nonparametric tests against trend", Econometrica 13:245–259; Kendall, M. G. (1975)
 * "Rank Correlation Methods". Distribution-free, so it suits skewed latency and heap series; it ignores
 * autocorrelation, so p-values on strongly autocorrelated series are optimistic (we use small alphas).
 */
export function mannKendall(kendallS: number, values: readonly number[]): MannKendallTest {
  const n = values.length;
  if (n < 3) return { tau: 0, z: 0, pValue: 1 };
  const sorted = [...values].sort((a, b) => a - b);
  let tieTerm = 0;
  let run = 1;
  for (let i = 1; i <= n; i++) {
    if (i < n && sorted[i] === sorted[i - 1]) {
      run += 1;
    } else {
      if (run > 1) tieTerm += run * (run - 1) * (2 * run + 5);
      run = 1;
    }
  }
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  const tau = kendallS / ((n * (n - 1)) / 2);
  if (variance <= 0) return { tau, z: 0, pValue: 1 };
  const corrected = kendallS > 0 ? kendallS - 1 : kendallS < 0 ? kendallS + 1 : 0;
  const z = corrected / Math.sqrt(variance);
  // Two-sided p = 2(1 − Φ(|z|)) = 1 − erf(|z|/√2).
  const pValue = Math.min(1, Math.max(0, 1 - errorFunction(Math.abs(z) / Math.SQRT2)));
  return { tau, z, pValue };
}
