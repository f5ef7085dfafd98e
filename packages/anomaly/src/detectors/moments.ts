import type { DetectorResult } from '../detector-types.js';
import { zToScore } from './calibration.js';

/**
 * Exponentially weighted mean and variance, updated incrementally (Finch, "Incremental calculation of
 * weighted mean and variance", 2009): mean += w·d; var = (1 − w)(var + w·d²). Until 1/n drops below α the
 * weight is 1/n (a plain running average), an unbiased start instead of a variance creeping up from 0. Once
 * `trustAfter` points are in, deviations beyond `clipZ` σ enter clipped (Huber), so one outlier does not blow
 * the variance up and mask the next.
 */
export class ExponentialMoments {
  count = 0;
  mean = 0;
  variance = 0;

  get sigma(): number {
    return Math.sqrt(this.variance);
  }

  update(value: number, alpha: number, clipZ: number, trustAfter = 0): void {
    this.count += 1;
    if (this.count === 1) {
      this.mean = value;
      this.variance = 0;
      return;
    }
    const weight = Math.max(alpha, 1 / this.count);
    const sigma = Math.sqrt(this.variance);
    let deviation = value - this.mean;
    if (this.count > trustAfter && sigma > 0) deviation = Math.max(-clipZ * sigma, Math.min(clipZ * sigma, deviation));
    this.mean += weight * deviation;
    this.variance = (1 - weight) * (this.variance + weight * deviation * deviation);
  }

  clear(): void {
    this.count = 0;
    this.mean = 0;
    this.variance = 0;
  }
}

/** z = (value − center) / scale, ±Infinity for a deviation from a zero-spread baseline. */
export function standardise(value: number, center: number, scale: number): number {
  const deviation = value - center;
  if (scale > 0) return deviation / scale;
  return deviation === 0 ? 0 : Math.sign(deviation) * Infinity;
}

/** The result of a z-based detector: calibrated score, band center ± alarmZ·scale, gated by warm-up. */
export function zResult(
  z: number,
  center: number,
  scale: number,
  alarmZ: number,
  threshold: number,
  warmingUp: boolean,
  evidence: Record<string, number | string | boolean>,
): DetectorResult {
  const score = warmingUp ? 0 : zToScore(z, alarmZ);
  return {
    score,
    isAnomaly: !warmingUp && score >= threshold,
    expected: center,
    lower: center - alarmZ * scale,
    upper: center + alarmZ * scale,
    warmingUp,
    evidence,
  };
}

/** What a detector returns before it has any baseline: the value itself, warming up. */
export function notReady(value: number, evidence?: Record<string, number | string | boolean>): DetectorResult {
  const result: DetectorResult = { score: 0, isAnomaly: false, expected: value, lower: value, upper: value, warmingUp: true };
  if (evidence !== undefined) result.evidence = evidence;
  return result;
}
