// ── detectors and NAB ──
export { createAnomalyDetector, type AnomalyDetector, type AnomalyDetectorOptions } from './detectors/anomaly-detector.js';
export { createCusumDetector, type CusumOptions } from './detectors/cusum.js';
export { createEwmaDetector, type EwmaOptions } from './detectors/ewma.js';
export { createRobustZScoreDetector, type RobustZScoreOptions } from './detectors/robust-z-score.js';
export { createSeasonalDetector, type SeasonalOptions } from './detectors/seasonal.js';
export type { BaseDetectorOptions, DetectorResult, StreamingDetector } from './detector-types.js';
export { zToScore } from './detectors/calibration.js';
export {
  NAB_PROFILES,
  nabProbationLength,
  nabScaledSigmoid,
  normalizeNabScore,
  scoreNabFile,
  type NabCostMatrix,
  type NabFileScore,
  type NabProfileName,
  type NabWindow,
} from './nab/scorer.js';
// ── end detectors and NAB ──

// ── trends and analyzer ──
export { createAnomalyAnalyzer, type AnomalyAnalyzer } from './analyzer/create-anomaly-analyzer.js';
export type { AnomalyAnalyzerOptions, AnomalyDirection, SeriesKey, WatchedMetric } from './analyzer/options.js';
export { hitRateAtSize, suggestCacheSize, type CurvePoint, type SizeSuggestion, type SizeSuggestionOptions } from './mrc/miss-ratio-curve.js';
export {
  analyzeTrend,
  type LineFit,
  type ThresholdCrossing,
  type TrendDirection,
  type TrendMethod,
  type TrendOptions,
  type TrendPoint,
  type TrendResult,
} from './trend/analyze-trend.js';
// ── end trends and analyzer ──
