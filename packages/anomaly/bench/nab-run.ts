import type { StreamingDetector } from '../src/detector-types.js';
import type { NabSeries } from '../src/nab/corpus.js';
import { NAB_PROFILES, nabProbationLength, normalizeNabScore, scoreNabFile, type NabProfileName } from '../src/nab/scorer.js';

export interface NabRunResult {
  scores: Record<NabProfileName, number>;
  windowRecall: number;
  windowPrecision: number;
  detectionsInWindows: number;
  detections: number;
  windowsScored: number;
  windowsDetected: number;
  meanDelayPoints: number;
  meanDelayMinutes: number;
  falsePositivesPerDayNoAnomaly: number;
  perFile: Array<{ file: string; standard: number; windows: number; detected: number; falsePositives: number }>;
}

/** Streams every series through a fresh detector and scores the flagged points with NAB's scorer. */
export function runNab(corpus: readonly NabSeries[], makeDetector: (series: NabSeries, probation: number) => StreamingDetector, labels?: Record<string, number[]>): NabRunResult {
  const raw: Record<NabProfileName, number> = { standard: 0, reward_low_FP_rate: 0, reward_low_FN_rate: 0 };
  const nulls: Record<NabProfileName, number> = { standard: 0, reward_low_FP_rate: 0, reward_low_FN_rate: 0 };
  let windowCount = 0;
  let windowsScored = 0;
  let windowsDetected = 0;
  let detections = 0;
  let detectionsInWindows = 0;
  let delayPoints = 0;
  let delayMinutes = 0;
  let delays = 0;
  let noAnomalyFlags = 0;
  let noAnomalyDays = 0;
  const perFile: NabRunResult['perFile'] = [];
  for (const series of corpus) {
    const probation = nabProbationLength(series.values.length);
    const detector = makeDetector(series, probation);
    const flags = new Array<boolean>(series.values.length);
    for (let index = 0; index < series.values.length; index += 1) {
      flags[index] = detector.update(series.values[index] as number, series.timestamps[index] as number).isAnomaly;
    }
    windowCount += series.windows.length;
    const none = new Array<boolean>(series.values.length).fill(false);
    let standard = 0;
    for (const profile of Object.keys(NAB_PROFILES) as NabProfileName[]) {
      const result = scoreNabFile(flags, series.windows, NAB_PROFILES[profile]);
      raw[profile] += result.score;
      nulls[profile] += scoreNabFile(none, series.windows, NAB_PROFILES[profile]).score;
      if (profile === 'standard') standard = result.score;
    }
    const result = scoreNabFile(flags, series.windows, NAB_PROFILES.standard);
    detections += result.tp + result.fp;
    detectionsInWindows += result.tp;
    let detected = 0;
    series.windows.forEach((window, windowIndex) => {
      if (window.end < probation) return;
      windowsScored += 1;
      const first = result.firstDetection[windowIndex] as number;
      if (first === -1) return;
      windowsDetected += 1;
      detected += 1;
      // Delay from the labelled anomaly inside the window (negative = before it, still inside the window).
      const label = labels?.[series.file]?.find((timestamp) => {
        const start = series.timestamps[window.start] as number;
        const end = series.timestamps[window.end] as number;
        return timestamp >= start && timestamp <= end;
      });
      const labelIndex = label === undefined ? Math.round((window.start + window.end) / 2) : series.timestamps.findIndex((timestamp) => timestamp >= label);
      delayPoints += first - labelIndex;
      delayMinutes += ((series.timestamps[first] as number) - (series.timestamps[labelIndex] as number)) / 60_000;
      delays += 1;
    });
    if (series.category === 'artificialNoAnomaly') {
      noAnomalyFlags += result.fp;
      noAnomalyDays += ((series.timestamps.at(-1) as number) - (series.timestamps[Math.floor(probation)] as number)) / 86_400_000;
    }
    perFile.push({ file: series.file, standard, windows: series.windows.length, detected, falsePositives: result.fp });
  }
  const scores = {} as Record<NabProfileName, number>;
  for (const profile of Object.keys(NAB_PROFILES) as NabProfileName[]) {
    scores[profile] = normalizeNabScore(raw[profile], nulls[profile], windowCount, NAB_PROFILES[profile]);
  }
  return {
    scores,
    windowRecall: windowsScored === 0 ? 0 : windowsDetected / windowsScored,
    windowPrecision: detections === 0 ? 0 : detectionsInWindows / detections,
    detectionsInWindows,
    detections,
    windowsScored,
    windowsDetected,
    meanDelayPoints: delays === 0 ? 0 : delayPoints / delays,
    meanDelayMinutes: delays === 0 ? 0 : delayMinutes / delays,
    falsePositivesPerDayNoAnomaly: noAnomalyDays === 0 ? 0 : noAnomalyFlags / noAnomalyDays,
    perFile,
  };
}
