import { ConfigError } from '@wai/metrics-core';
import type { BaseDetectorOptions, DetectorResult, StreamingDetector } from '../detector-types.js';
import { scoreToSurprise, surpriseToScore, zToScore } from './calibration.js';
import { createCusumDetector } from './cusum.js';
import { checkPoint, numberOption } from './options.js';
import { SlidingRange } from './range-novelty.js';
import { createRobustZScoreDetector } from './robust-z-score.js';
import { createSeasonalDetector } from './seasonal.js';

export interface AnomalyDetectorOptions extends BaseDetectorOptions {
  /**
   * Points in the sliding windows of the robust z-scores (on the value and on its change).
   * @default 300
   */
  window?: number;
  /**
   * Robust z at which a component (value, change, seasonal) is at its alarm level.
   * @default 6.3
   */
  alarmZ?: number;
  /**
   * A component only counts by how much its surprise exceeds its largest surprise over this many previous
   * points ("the most unusual thing in a while", so a metric that is always spiky raises its own bar and a
   * persisting shift raises one alarm, at its onset).
   * @default 1500
   */
  memory?: number;
  /**
   * Points of history for the range check: a value beyond the [min, max] of this many previous points by
   * `rangeTolerance` × (max − min) is at the alarm level.
   * @default 4000
   */
  rangeWindow?: number;
  /**
   * Fraction of the recent range a value must exceed it by to be at the alarm level.
   * @default 0.033
   */
  rangeTolerance?: number;
  /**
   * After a flagged point, further points are not flagged for this many points (one alarm per episode);
   * their score is capped just below `threshold`.
   * @default 50
   */
  cooldown?: number;
  /**
   * Learn a time-of-day / day-of-week baseline; once a slot is trusted it both scores the point and caps the
   * other components (a value the daily profile expects is not anomalous).
   * @default true
   */
  seasonal?: boolean;
  /**
   * Also run a two-sided CUSUM for small persistent level shifts. Off by default: on NAB it finds few
   * windows the other components miss and adds false alarms on slowly drifting series (−3 points); use
   * `createCusumDetector` or `analyzeTrend` for slow drifts such as leaks.
   * @default false
   */
  changePoint?: boolean;
  /**
   * Points observed before anything may be flagged (the detector still learns from them).
   * @default 300
   */
  warmUp?: number;
  /**
   * Sensitivity in standard deviations (the monitor's `anomalyThreshold`, a finite number > 0): a point is
   * flagged when the ensemble's surprise — the onset excess or range novelty, in nats, that the score is
   * calibrated on — reaches S(k) = −ln P(|Z| ≥ k), the surprise of a two-sided k-σ Gaussian deviation. It sets
   * `threshold` to `zToScore(k, alarmZ)`: k = `alarmZ` (6.3) is the default threshold 0.5, k = 3 is 0.21, 2 is
   * 0.12, 1.5 is 0.084. Scores keep their calibration, so a score means the same whatever k is. Give
   * `anomalyThreshold` or `threshold`, not both.
   * @default unset (threshold 0.5, i.e. k = alarmZ)
   */
  anomalyThreshold?: number;
}

export type AnomalyDetector = StreamingDetector;

const COMPONENT_NAMES = ['value', 'change', 'seasonal', 'cusum'] as const;
type ComponentName = (typeof COMPONENT_NAMES)[number];
const CUSUM_RESTART = 5;
const CUSUM_ALARM = 11;
/** History the range check needs before it counts (fewer points: new records of plain noise are common). */
const RANGE_MINIMUM = 300;
const DAY_MS = 86_400_000;

/**
 * The default ensemble (see README "Detectors"):
 *
 * 1. components — robust z of the value and of its change over a sliding window (median/MAD), a seasonal
 *    baseline and (with `changePoint: true`) a CUSUM; each yields a surprise relative to its alarm level
 *    (r = 1 at the alarm);
 * 2. seasonal veto — once the seasonal slot is trusted, no component may be more surprised than it;
 * 3. onset — each component counts only by how much r exceeds its own maximum over the last `memory`
 *    points, so an always-noisy series calibrates itself and a shift alarms at its onset only (the idea of
 *    HTM's anomaly likelihood, Ahmad et al. 2017, with a max instead of a Gaussian over past scores);
 * 4. range — a value beyond the recent [min, max] by a fraction of the range (NAB's HTM detector adds the same
 *    "spatial anomaly" rule);
 * 5. the strongest of these, e, becomes the score e / (1 + e): 0.5 means "at the alarm level";
 * 6. a flagged point starts a cooldown, so an episode raises one alarm.
 *
 * All state is bounded (windows of fixed size) and each point costs O(log window) plus fixed work.
 */
export function createAnomalyDetector(options: AnomalyDetectorOptions = {}): AnomalyDetector {
  const name = 'createAnomalyDetector';
  const window = numberOption(name, 'window', options.window, 300, { min: 3, integer: true });
  const alarmZ = numberOption(name, 'alarmZ', options.alarmZ, 6.3, { min: 0, exclusiveMin: true });
  const memory = numberOption(name, 'memory', options.memory, 1500, { min: 0, integer: true });
  const rangeWindow = numberOption(name, 'rangeWindow', options.rangeWindow, 4000, { min: 2, integer: true });
  const rangeTolerance = numberOption(name, 'rangeTolerance', options.rangeTolerance, 0.033, { min: 0, exclusiveMin: true });
  const cooldown = numberOption(name, 'cooldown', options.cooldown, 50, { min: 0, integer: true });
  const warmUp = numberOption(name, 'warmUp', options.warmUp, 300, { min: 0, integer: true });
  const threshold = resolveThreshold(name, options, alarmZ);
  const useSeasonal = options.seasonal ?? true;
  const useChangePoint = options.changePoint ?? false;

  // Components run ungated (warmUp 0, threshold 1): the ensemble owns warm-up and flagging.
  const detectors: Partial<Record<ComponentName, StreamingDetector>> = {
    value: createRobustZScoreDetector({ window, alarmZ, warmUp: 0, threshold: 1 }),
    change: createRobustZScoreDetector({ window, alarmZ, warmUp: 0, threshold: 1 }),
  };
  if (useSeasonal) detectors.seasonal = createSeasonalDetector({ alarmZ, warmUp: 0, threshold: 1 });
  // The CUSUM restarts at the textbook h = 5σ (k = ½σ), but counts as at the alarm level only at 11σ, on the
  // same footing as the z components at alarmZ ≈ 6.3 (whose surprise is ≈ 2.2× that of z = 4).
  if (useChangePoint) detectors.cusum = createCusumDetector({ decisionInterval: CUSUM_RESTART, warmUp: 0, threshold: 1 });
  const recentMaxima: Record<ComponentName, SlidingRange> = {
    value: new SlidingRange(Math.max(1, memory)),
    change: new SlidingRange(Math.max(1, memory)),
    seasonal: new SlidingRange(Math.max(1, memory)),
    cusum: new SlidingRange(Math.max(1, memory)),
  };
  const range = new SlidingRange(rangeWindow);
  const rangeMinimum = Math.min(rangeWindow, RANGE_MINIMUM);
  const relative: Record<ComponentName, number> = { value: 0, change: 0, seasonal: 0, cusum: 0 };
  const onsets: Record<ComponentName, number> = { value: 0, change: 0, seasonal: 0, cusum: 0 };
  let previous: number | undefined;
  let seen = 0;
  let firstTimestamp = 0;
  let cooldownLeft = 0;

  return {
    update(value: number, timestamp: number): DetectorResult {
      checkPoint(name, value, timestamp);
      seen += 1;
      if (seen === 1) firstTimestamp = timestamp;
      let valueResult: DetectorResult | undefined;
      let seasonalResult: DetectorResult | undefined;
      let seasonalCap = Infinity;
      for (const componentName of COMPONENT_NAMES) {
        const detector = detectors[componentName];
        relative[componentName] = 0;
        if (detector === undefined) continue;
        const input = componentName === 'change' ? (previous === undefined ? undefined : value - previous) : value;
        if (input === undefined) continue;
        const result = detector.update(input, timestamp);
        if (componentName === 'value') valueResult = result;
        if (componentName === 'seasonal') seasonalResult = result;
        if (result.warmingUp) continue;
        relative[componentName] = scoreToSurprise(result.score, 1) * (componentName === 'cusum' ? CUSUM_RESTART / CUSUM_ALARM : 1);
        // Tried: counting the seasonal alarm only where its slot σ is below the window's σ (to ignore cycles
        // that are not daily) costs 2 NAB points; cycles of other periods are better served by seasonal: false.
        if (componentName === 'seasonal') seasonalCap = relative.seasonal;
      }
      let strongest = 0;
      let strongestName = 'none';
      for (const componentName of COMPONENT_NAMES) {
        const capped = componentName === 'seasonal' ? relative[componentName] : Math.min(relative[componentName], seasonalCap);
        const maxima = recentMaxima[componentName];
        const recent = memory > 0 && maxima.size > 0 ? maxima.max() : 0;
        maxima.push(capped);
        const onset = Math.max(0, capped - recent);
        onsets[componentName] = onset;
        if (onset > strongest) {
          strongest = onset;
          strongestName = componentName;
        }
      }
      let novelty = 0;
      // The range check needs a history long enough for its extremes to mean something: on a short one,
      // new records of plain noise are frequent, and before a full day every rise of a daily cycle is one.
      if (range.size >= rangeMinimum && (range.size === rangeWindow || timestamp - firstTimestamp >= DAY_MS)) {
        const high = range.max();
        const low = range.min();
        const beyond = value > high ? value - high : value < low ? low - value : 0;
        const width = high - low;
        novelty = beyond === 0 ? 0 : width > 0 ? beyond / width : Infinity;
        // Not subject to the onset rule: tried, it costs 5 NAB points (a new record is already an onset).
        const rangeSurprise = novelty / rangeTolerance;
        if (rangeSurprise > strongest) {
          strongest = rangeSurprise;
          strongestName = 'range';
        }
      }
      range.push(value);
      previous = value;

      const warmingUp = seen <= warmUp;
      let score = warmingUp ? 0 : surpriseToScore(strongest, 1);
      let isAnomaly = !warmingUp && score >= threshold;
      let suppressed = false;
      if (cooldownLeft > 0) {
        cooldownLeft -= 1;
        if (isAnomaly) {
          suppressed = true;
          score = Math.min(score, threshold * (1 - 1e-9));
          isAnomaly = false;
        }
      } else if (isAnomaly) {
        cooldownLeft = cooldown;
      }
      // Fixed keys (no computed names) keep this object in V8's fast mode on the hot path.
      const evidence: Record<string, number | string | boolean> = {
        component: strongestName,
        valueSurprise: relative.value,
        changeSurprise: relative.change,
        seasonalSurprise: relative.seasonal,
        cusumSurprise: relative.cusum,
        valueOnset: onsets.value,
        changeOnset: onsets.change,
        seasonalOnset: onsets.seasonal,
        cusumOnset: onsets.cusum,
        rangeNovelty: novelty,
        suppressed,
      };
      const band = pickBand(valueResult, seasonalResult, value);
      return { score, isAnomaly, expected: band.expected, lower: band.lower, upper: band.upper, warmingUp, evidence };
    },
    reset(): void {
      for (const componentName of COMPONENT_NAMES) {
        detectors[componentName]?.reset();
        recentMaxima[componentName].clear();
      }
      range.clear();
      previous = undefined;
      seen = 0;
      cooldownLeft = 0;
    },
  };
}

/** `threshold`, or the score of an `anomalyThreshold`-σ deviation on the detector's calibration (see the option). */
function resolveThreshold(name: string, options: AnomalyDetectorOptions, alarmZ: number): number {
  if (options.anomalyThreshold === undefined) return numberOption(name, 'threshold', options.threshold, 0.5, { min: 0, max: 1 });
  if (options.threshold !== undefined) {
    throw new ConfigError(
      `[wai:anomaly] ${name}: give \`anomalyThreshold\` (standard deviations) or \`threshold\` (a score 0..1), not both; got ${options.anomalyThreshold} and ${options.threshold}.`,
      { details: { option: 'anomalyThreshold' } },
    );
  }
  return zToScore(numberOption(name, 'anomalyThreshold', options.anomalyThreshold, 0, { min: 0, exclusiveMin: true }), alarmZ);
}

/** The narrower of the trusted bands (seasonal when it has learned the slot, else the sliding window). */
function pickBand(valueResult: DetectorResult | undefined, seasonalResult: DetectorResult | undefined, value: number): { expected: number; lower: number; upper: number } {
  let best: DetectorResult | undefined;
  for (const candidate of [valueResult, seasonalResult]) {
    if (candidate === undefined || candidate.warmingUp) continue;
    if (best === undefined || candidate.upper - candidate.lower < best.upper - best.lower) best = candidate;
  }
  if (best === undefined) return { expected: value, lower: value, upper: value };
  return { expected: best.expected, lower: best.lower, upper: best.upper };
}
