/** What every streaming detector returns per point (no look-ahead: it has seen only points up to this one). */
export interface DetectorResult {
  /**
   * Calibrated anomaly score 0..1. Every detector here maps its statistic through the Gaussian tail
   * probability so that the score equals 0.5 exactly at the detector's alarm level; higher is rarer.
   */
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

/** Options every detector accepts. */
export interface BaseDetectorOptions {
  /**
   * Points observed before anything may be flagged (the detector still learns from them).
   * @default 50
   */
  warmUp?: number;
  /**
   * Score at or above which a point is flagged (`isAnomaly`). Scores are calibrated so that 0.5 is the
   * detector's own alarm level; raise it for fewer, surer alarms.
   * @default 0.5
   */
  threshold?: number;
}
