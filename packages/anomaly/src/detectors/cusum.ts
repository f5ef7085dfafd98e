import type { BaseDetectorOptions, DetectorResult, StreamingDetector } from '../detector-types.js';
import { surpriseToScore } from './calibration.js';
import { ExponentialMoments, notReady } from './moments.js';
import { checkPoint, numberOption } from './options.js';

/** Points the baseline learns from before any sum is accumulated. */
const MIN_POINTS = 10;

export interface CusumOptions extends BaseDetectorOptions {
  /**
   * Reference value k of the CUSUM, in σ: shifts smaller than about 2k are not accumulated.
   * @default 0.5
   */
  drift?: number;
  /**
   * Decision interval h, in σ: the cumulative sum at which a change is declared (score 0.5).
   * With k = 0.5: h = 5 gives an in-control average run length of about 470 points (two-sided, Siegmund's
   * approximation), h = 8 about 9,500 — the default, since a server metric is sampled thousands of times a day.
   * @default 8
   */
  decisionInterval?: number;
  /**
   * Smoothing factor of the baseline mean and variance the deviations are standardised against.
   * @default 0.02
   */
  alpha?: number;
}

/**
 * Two-sided tabular CUSUM (Page 1954; Montgomery, Introduction to Statistical Quality Control §9.1) on
 * deviations standardised by a slowly adapting, Huberised EW baseline: S⁺ = max(0, S⁺ + z − k),
 * S⁻ = max(0, S⁻ − z − k). A change is declared when either sum exceeds h; then the sums restart and the
 * baseline jumps to the new level, so one shift raises one alarm and later shifts are seen afresh.
 */
export function createCusumDetector(options: CusumOptions = {}): StreamingDetector {
  const name = 'createCusumDetector';
  const drift = numberOption(name, 'drift', options.drift, 0.5, { min: 0 });
  const decisionInterval = numberOption(name, 'decisionInterval', options.decisionInterval, 8, { min: 0, exclusiveMin: true });
  const alpha = numberOption(name, 'alpha', options.alpha, 0.02, { min: 0, max: 1, exclusiveMin: true });
  const warmUp = numberOption(name, 'warmUp', options.warmUp, 50, { min: 0, integer: true });
  const threshold = numberOption(name, 'threshold', options.threshold, 0.5, { min: 0, max: 1 });
  const baseline = new ExponentialMoments();
  let upper = 0;
  let lower = 0;
  let upperRun = 0;
  let lowerRun = 0;

  return {
    update(value: number, timestamp: number): DetectorResult {
      checkPoint(name, value, timestamp);
      if (baseline.count === 0) {
        baseline.update(value, alpha, 3, warmUp);
        return notReady(value);
      }
      const seen = baseline.count + 1;
      const { mean, sigma } = baseline;
      const warmingUp = seen <= warmUp;
      // Standardising needs a noise estimate: the sums start once a few points have been seen and σ > 0.
      if (!warmingUp && seen > MIN_POINTS && sigma > 0) {
        const z = (value - mean) / sigma;
        upper = Math.max(0, upper + z - drift);
        lower = Math.max(0, lower - z - drift);
        upperRun = upper > 0 ? upperRun + 1 : 0;
        lowerRun = lower > 0 ? lowerRun + 1 : 0;
      }
      const statistic = Math.max(upper, lower);
      const score = warmingUp ? 0 : surpriseToScore(statistic, decisionInterval);
      const result: DetectorResult = {
        score,
        isAnomaly: !warmingUp && score >= threshold,
        expected: mean,
        lower: mean - (drift + decisionInterval) * sigma,
        upper: mean + (drift + decisionInterval) * sigma,
        warmingUp,
        evidence: { cusumUpper: upper, cusumLower: lower, mean, sigma, direction: upper >= lower ? 'up' : 'down' },
      };
      if (statistic >= decisionInterval) {
        // Restart at the estimated new level μ0 ± σ(k + S/N), N the points since the sum left 0 (Montgomery,
        // SQC, eq. 9.5). Only the mean moves: the noise level rarely changes with the level.
        baseline.count += 1;
        baseline.mean = upper >= lower ? mean + sigma * (drift + upper / Math.max(1, upperRun)) : mean - sigma * (drift + lower / Math.max(1, lowerRun));
        upper = 0;
        lower = 0;
        upperRun = 0;
        lowerRun = 0;
        return result;
      }
      baseline.update(value, alpha, 3, warmUp);
      return result;
    },
    reset(): void {
      baseline.clear();
      upper = 0;
      lower = 0;
      upperRun = 0;
      lowerRun = 0;
    },
  };
}
