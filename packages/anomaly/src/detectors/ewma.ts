import type { BaseDetectorOptions, DetectorResult, StreamingDetector } from '../detector-types.js';
import { ExponentialMoments, notReady, standardise, zResult } from './moments.js';
import { checkPoint, numberOption } from './options.js';

export interface EwmaOptions extends BaseDetectorOptions {
  /**
   * Smoothing factor of the exponentially weighted mean and variance (memory ≈ 2/α − 1 points).
   * @default 0.05
   */
  alpha?: number;
  /**
   * |x − mean| / σ at which the score reaches 0.5 (z = 5: a two-sided Gaussian tail of 6e-7, about one false
   * alarm in 1.7 million points of Gaussian noise; real metrics have heavier tails).
   * @default 5
   */
  alarmZ?: number;
}

/**
 * EWMA mean with an exponentially weighted (adaptive) variance (Finch 2009), the point scored against the
 * moments before it. The update is Huberised after warm-up — deviations beyond `alarmZ` σ enter clipped — so
 * one spike does not inflate the variance and mask the next one (robust EWMA control charts).
 */
export function createEwmaDetector(options: EwmaOptions = {}): StreamingDetector {
  const name = 'createEwmaDetector';
  const alpha = numberOption(name, 'alpha', options.alpha, 0.05, { min: 0, max: 1, exclusiveMin: true });
  const alarmZ = numberOption(name, 'alarmZ', options.alarmZ, 5, { min: 0, exclusiveMin: true });
  const warmUp = numberOption(name, 'warmUp', options.warmUp, 50, { min: 0, integer: true });
  const threshold = numberOption(name, 'threshold', options.threshold, 0.5, { min: 0, max: 1 });
  const moments = new ExponentialMoments();

  return {
    update(value: number, timestamp: number): DetectorResult {
      checkPoint(name, value, timestamp);
      if (moments.count === 0) {
        moments.update(value, alpha, alarmZ, warmUp);
        return notReady(value);
      }
      const { mean, sigma } = moments;
      const z = standardise(value, mean, sigma);
      const result = zResult(z, mean, sigma, alarmZ, threshold, moments.count + 1 <= warmUp, { z, mean, sigma });
      moments.update(value, alpha, alarmZ, warmUp);
      return result;
    },
    reset(): void {
      moments.clear();
    },
  };
}
