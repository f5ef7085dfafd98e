import { ValidationError } from '@wai/metrics-core';

/**
 * The NAB scoring function, as specified in Lavin & Ahmad, "Evaluating Real-time Anomaly Detection
 * Algorithms — the Numenta Anomaly Benchmark" (IEEE ICMLA 2015) and implemented by NAB ≥ 1.0
 * (`nab/sweeper.py`, `Sweeper.calcSweepScore` / `calcScoreByThreshold`), which this file follows rule by rule:
 *
 * - the first `min(floor(0.15·n), 0.15·5000)` rows are a probationary period and are not scored;
 * - a window (labelled [start, end]) is credited once, with the best-weighted detection inside it, i.e. its
 *   earliest one: A_tp · σ̃(−(right − i + 1)/width) / σ̃(−1), where σ̃(y) = 2/(1 + e^{5y}) − 1;
 *   a window without any detection costs −A_fn;
 * - every detection outside a window costs A_fp · σ̃(|prevRight − i| / (prevWidth − 1)) relative to the end of
 *   the preceding window (so detections just after a window are mildly punished), or −A_fp with no preceding
 *   window; σ̃ is −1 from position 3 on;
 * - a point is a detection when its anomaly score is ≥ the threshold.
 */

export interface NabCostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
  tnWeight?: number;
}

/** The three NAB application profiles (NAB `config/profiles.json`). */
export const NAB_PROFILES = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1, tnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2, tnWeight: 1 },
} as const satisfies Record<string, NabCostMatrix>;

export type NabProfileName = keyof typeof NAB_PROFILES;

/** A labelled window as row indices (inclusive), already resolved from its timestamps. */
export interface NabWindow {
  start: number;
  end: number;
}

export interface NabFileScore {
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  total: number;
  /** Per window: the row index of its first detection after the probationary period, or -1. */
  firstDetection: number[];
  /** Row indices of detections outside every window (after the probationary period). */
  falsePositives: number[];
}

/** NAB's probationary period for a file of `rows` rows. */
export function nabProbationLength(rows: number, probationPercent = 0.15): number {
  return Math.min(Math.floor(probationPercent * rows), probationPercent * 5000);
}

/** NAB's scaled sigmoid σ̃(y) = 2·sigmoid(−5y) − 1, clamped to −1 for y ≥ 3. */
export function nabScaledSigmoid(position: number): number {
  if (position >= 3) return -1;
  return 2 / (1 + Math.exp(5 * position)) - 1;
}

/**
 * Scores one file. `detections[i]` says whether row i was flagged (use `scores.map(s => s >= threshold)`
 * to reproduce NAB's thresholding). Windows must be sorted and disjoint.
 */
export function scoreNabFile(detections: ArrayLike<boolean>, windows: readonly NabWindow[], costMatrix: NabCostMatrix, probationPercent = 0.15): NabFileScore {
  const rows = detections.length;
  for (let index = 0; index < windows.length; index += 1) {
    const window = windows[index] as NabWindow;
    const before = windows[index - 1];
    if (!(window.start >= 0 && window.end < rows && window.start <= window.end) || (before !== undefined && before.end >= window.start)) {
      throw new ValidationError('E_INVALID_ARGUMENT', `[wai:anomaly] scoreNabFile: window ${index} [${window.start}, ${window.end}] is out of range, empty or overlaps the previous one (rows: ${rows}).`);
    }
  }
  const probation = nabProbationLength(rows, probationPercent);
  const maxTp = nabScaledSigmoid(-1);
  const windowScore: number[] = windows.map(() => Number.NEGATIVE_INFINITY);
  const windowScored: boolean[] = windows.map(() => false);
  const firstDetection: number[] = windows.map(() => -1);
  const falsePositives: number[] = [];
  let fpScore = 0;
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  let windowIndex = 0;
  let previousEnd = -1;
  let previousWidth = 0;
  for (let row = 0; row < rows; row += 1) {
    let current = windows[windowIndex];
    if (current !== undefined && row > current.end) {
      previousEnd = current.end;
      previousWidth = current.end - current.start + 1;
      windowIndex += 1;
      current = windows[windowIndex];
    }
    const inWindow = current !== undefined && row >= current.start;
    if (row < probation) continue;
    const detected = detections[row] === true;
    if (inWindow) {
      const window = current as NabWindow;
      windowScored[windowIndex] = true;
      if (detected) {
        tp += 1;
        const width = window.end - window.start + 1;
        const weighted = (nabScaledSigmoid(-(window.end - row + 1) / width) * costMatrix.tpWeight) / maxTp;
        if (weighted > (windowScore[windowIndex] as number)) windowScore[windowIndex] = weighted;
        if (firstDetection[windowIndex] === -1) firstDetection[windowIndex] = row;
      } else {
        fn += 1;
      }
    } else if (detected) {
      fp += 1;
      falsePositives.push(row);
      // NAB divides by (width − 1): a one-row window makes every later FP position infinite (σ̃ = −1).
      const position = previousEnd < 0 ? 3 : Math.abs(previousEnd - row) / (previousWidth - 1);
      fpScore += nabScaledSigmoid(position) * costMatrix.fpWeight;
    } else {
      tn += 1;
    }
  }
  let score = fpScore;
  for (let index = 0; index < windows.length; index += 1) {
    if (!windowScored[index]) continue; // entirely inside the probationary period: NAB ignores it
    const best = windowScore[index] as number;
    score += best === Number.NEGATIVE_INFINITY ? -costMatrix.fnWeight : best;
  }
  return { score, tp, tn, fp, fn, total: rows, firstDetection, falsePositives };
}

/**
 * NAB's normalised score: 100 · (S − S_null) / (S_perfect − S_null), where S_null is the score of the
 * detector that never fires and S_perfect = (number of windows) · A_tp (NAB `runner.normalize`).
 */
export function normalizeNabScore(rawScore: number, nullScore: number, windowCount: number, costMatrix: NabCostMatrix): number {
  const perfect = windowCount * costMatrix.tpWeight;
  return (100 * (rawScore - nullScore)) / (perfect - nullScore);
}
