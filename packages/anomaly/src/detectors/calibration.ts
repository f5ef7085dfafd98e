/**
 * ln P(|Z| ≥ z) = ln erfc(|z|/√2) for a standard normal Z, computed in log space so that it stays exact far
 * into the tail (z = 40 is still distinguishable from z = 30). simple-statistics' `cumulativeStdNormalProbability`
 * is a two-decimal table that saturates at z ≈ 4.1, which would make every z above that equally (and
 * infinitely) surprising; its `errorFunction` loses all precision in 1 − erf. This uses the Chebyshev fit
 * of erfc from Numerical Recipes (Press et al., 2nd ed., §6.2, `erfcc`), relative error < 1.2e-7 everywhere.
 */
export function logTwoSidedTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  if (Number.isNaN(x)) return 0;
  if (!Number.isFinite(x)) return -Infinity;
  const t = 1 / (1 + 0.5 * x);
  const polynomial =
    -x * x -
    1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.min(0, Math.log(t) + polynomial);
}

/**
 * Maps a surprise (−ln p) to a score in 0..1 with score = 0.5 exactly when the surprise equals the alarm
 * surprise: score = s / (s + s_alarm). Monotone, so thresholds on the score are thresholds on p.
 */
export function surpriseToScore(surprise: number, alarmSurprise: number): number {
  if (!(surprise > 0)) return 0;
  if (!Number.isFinite(surprise)) return 1;
  return surprise / (surprise + alarmSurprise);
}

/** Score of a z statistic whose alarm level is `alarmZ` standard deviations (two-sided). */
export function zToScore(z: number, alarmZ: number): number {
  return surpriseToScore(-logTwoSidedTail(z), -logTwoSidedTail(alarmZ));
}

/** The |z| at which a score is reached for a given alarm level: the inverse of `zToScore`. */
export function scoreToSurprise(score: number, alarmSurprise: number): number {
  if (score <= 0) return 0;
  if (score >= 1) return Infinity;
  return (score * alarmSurprise) / (1 - score);
}
