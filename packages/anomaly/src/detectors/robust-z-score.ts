import type { BaseDetectorOptions, DetectorResult, StreamingDetector } from '../detector-types.js';
import { notReady, standardise, zResult } from './moments.js';
import { checkPoint, numberOption } from './options.js';
import { SortedWindow } from './sorted-window.js';

/** 1 / Φ⁻¹(3/4): makes the MAD a consistent estimator of σ for Gaussian data (Rousseeuw & Croux 1993). */
export const MAD_TO_SIGMA = 1.482602218505602;

export interface RobustZScoreOptions extends BaseDetectorOptions {
  /**
   * Number of most recent points the median and MAD are computed over.
   * @default 300
   */
  window?: number;
  /**
   * Robust z (|x − median| / (1.4826·MAD)) at which the score reaches 0.5 (z = 5: a two-sided Gaussian tail of 6e-7, about one false alarm in
   * 1.7 million points of Gaussian noise; real metrics have heavier tails).
   * @default 5
   */
  alarmZ?: number;
}

/**
 * Robust z-score over a sliding window: how many robust standard deviations (1.4826·MAD) the new point is
 * from the window's median (Hampel filter; Iglewicz & Hoaglin 1993). The point is scored against the window
 * *before* it is added. Where the MAD is 0 (more than half the window identical) the window's standard
 * deviation stands in, so a quantised metric does not turn every change into an infinite z.
 */
export function createRobustZScoreDetector(options: RobustZScoreOptions = {}): StreamingDetector {
  const name = 'createRobustZScoreDetector';
  const windowSize = numberOption(name, 'window', options.window, 300, { min: 3, integer: true });
  const alarmZ = numberOption(name, 'alarmZ', options.alarmZ, 5, { min: 0, exclusiveMin: true });
  const warmUp = numberOption(name, 'warmUp', options.warmUp, 50, { min: 0, integer: true });
  const threshold = numberOption(name, 'threshold', options.threshold, 0.5, { min: 0, max: 1 });
  const window = new SortedWindow(windowSize);
  let seen = 0;

  return {
    update(value: number, timestamp: number): DetectorResult {
      checkPoint(name, value, timestamp);
      seen += 1;
      let result: DetectorResult;
      if (window.size < 3) {
        result = notReady(value);
      } else {
        const median = window.median();
        const scale = robustScale(window, median);
        const z = standardise(value, median, scale);
        result = zResult(z, median, scale, alarmZ, threshold, seen <= warmUp, { z, median, scale });
      }
      window.push(value);
      return result;
    },
    reset(): void {
      window.clear();
      seen = 0;
    },
  };
}

/** σ estimate of a window: 1.4826·MAD, or the standard deviation where the MAD collapses to 0. */
export function robustScale(window: SortedWindow, median = window.median()): number {
  const mad = window.medianAbsoluteDeviation(median);
  if (mad > 0) return MAD_TO_SIGMA * mad;
  return window.standardDeviation();
}
