/** What every streaming detector returns per point (no look-ahead: it has seen only points up to this one). */
export interface DetectorResult {
  /** Calibrated anomaly score 0..1 (0.5 ≈ the shipped decision threshold's neighbourhood is detector-defined). */
  score: number;
  isAnomaly: boolean;
  /** The value the detector expected and the band it considers normal. */
  expected: number;
  lower: number;
  upper: number;
  /** True while the detector is still warming up (never flagged then). */
  warmingUp: boolean;
  /** Per-component scores and statistics that explain the score. */
  evidence?: Record<string, number | string | boolean>;
}

export interface StreamingDetector {
  update(value: number, timestamp: number): DetectorResult;
  reset(): void;
}
