import { systemClock, type Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import type { LoadSignal } from '../contracts/metrics.js';
import { HTTP_OPTION_DEFAULTS } from './option-defaults.js';

const DEFAULTS = HTTP_OPTION_DEFAULTS.adaptiveLimit;

/** A stress threshold with hysteresis: stress starts above `enter` and ends only below `exit`. */
export interface StressBand {
  enter: number;
  exit: number;
}

export interface AdaptiveLimitOptions {
  /** Where load comes from, e.g. `() => monitor.getLoadSignal()`. */
  loadSignal: () => LoadSignal;
  /** Event-loop delay p99 (ms). @default { enter: 200, exit: 100 } */
  eventLoopDelayP99Ms?: StressBand;
  /** Response-time p99 (ms). @default { enter: 2000, exit: 1000 } */
  latencyP99Ms?: StressBand;
  /** Error rate 0..1. @default { enter: 0.1, exit: 0.05 } */
  errorRate?: StressBand;
  /** Health score 0..100 — stress when it falls BELOW `enter` and ends above `exit`. @default { enter: 50, exit: 70 } */
  healthScore?: StressBand;
  /** Multiplicative decrease per evaluation while stressed. @default 0.5 */
  decreaseFactor?: number;
  /** Additive increase of the factor per evaluation while calm (fraction of the base limit). @default 0.1 */
  increaseStep?: number;
  /** Lowest factor of the base limit. @default 0.1 */
  minFactor?: number;
  /** Least time between stress state changes (ms), so a flapping signal cannot oscillate the limit. @default 5000 */
  minDwellMs?: number;
  /** How often the signal is read (lazily, on requests) (ms). @default 1000 */
  evaluateIntervalMs?: number;
  clock?: Clock;
}

export type AdaptiveState = 'normal' | 'stressed';

export interface AdaptiveLimit {
  /** Current factor (minFactor..1) applied to base limits; re-evaluates when an interval has passed. */
  factor(): number;
  /** `max(1, floor(base × factor))`. */
  limit(base: number): number;
  readonly state: AdaptiveState;
  /** Which signals were over their band at the last evaluation. */
  readonly reasons: readonly string[];
}

function band(name: string, value: StressBand | undefined, fallback: StressBand, inverted: boolean): StressBand {
  const chosen = value ?? fallback;
  const ordered = inverted ? chosen.exit >= chosen.enter : chosen.exit <= chosen.enter;
  if (!Number.isFinite(chosen.enter) || !Number.isFinite(chosen.exit) || !ordered) {
    throw new ValidationError('E_INVALID_ARGUMENT', `[wai:metrics-core] adaptive ${name} needs finite enter/exit with exit ${inverted ? '>=' : '<='} enter`);
  }
  return chosen;
}

/**
 * An AIMD limit controller (additive increase, multiplicative decrease — TCP congestion control, RFC 5681 §3.1,
 * as Netflix's concurrency-limits applies it to servers): while the monitor's load signal shows stress, the
 * effective limit is cut by `decreaseFactor` each evaluation; once calm, it regains `increaseStep` of the base
 * limit per evaluation. Hysteresis comes from separate enter/exit bands and a minimum dwell time per state.
 */
export function createAdaptiveLimit(options: AdaptiveLimitOptions): AdaptiveLimit {
  const clock = options.clock ?? systemClock;
  const eventLoop = band('eventLoopDelayP99Ms', options.eventLoopDelayP99Ms, DEFAULTS.eventLoopDelayP99Ms, false);
  const latency = band('latencyP99Ms', options.latencyP99Ms, DEFAULTS.latencyP99Ms, false);
  const errors = band('errorRate', options.errorRate, DEFAULTS.errorRate, false);
  const health = band('healthScore', options.healthScore, DEFAULTS.healthScore, true);
  const decreaseFactor = options.decreaseFactor ?? DEFAULTS.decreaseFactor;
  const increaseStep = options.increaseStep ?? DEFAULTS.increaseStep;
  const minFactor = options.minFactor ?? DEFAULTS.minFactor;
  const minDwellMs = options.minDwellMs ?? DEFAULTS.minDwellMs;
  const evaluateIntervalMs = options.evaluateIntervalMs ?? DEFAULTS.evaluateIntervalMs;
  if (!(decreaseFactor > 0 && decreaseFactor < 1)) throw new ValidationError('E_INVALID_ARGUMENT', '[wai:metrics-core] adaptive decreaseFactor must be between 0 and 1 (exclusive)');
  if (!(increaseStep > 0 && increaseStep <= 1)) throw new ValidationError('E_INVALID_ARGUMENT', '[wai:metrics-core] adaptive increaseStep must be in (0, 1]');
  if (!(minFactor > 0 && minFactor <= 1)) throw new ValidationError('E_INVALID_ARGUMENT', '[wai:metrics-core] adaptive minFactor must be in (0, 1]');

  let state: AdaptiveState = 'normal';
  let factor = 1;
  let reasons: string[] = [];
  let lastEvaluation = -Infinity;
  let lastTransition = -Infinity;

  const overBands = (signal: LoadSignal, useExit: boolean): string[] => {
    const over: string[] = [];
    const pick = (b: StressBand) => (useExit ? b.exit : b.enter);
    if (signal.eventLoopDelayP99 > pick(eventLoop)) over.push('eventLoopDelayP99');
    if (signal.latencyP99 > pick(latency)) over.push('latencyP99');
    if (signal.errorRate > pick(errors)) over.push('errorRate');
    if (signal.healthScore < pick(health)) over.push('healthScore');
    return over;
  };

  const evaluate = () => {
    const now = clock.now();
    if (now - lastEvaluation < evaluateIntervalMs) return;
    lastEvaluation = now;
    // While stressed, judge against the exit band (stay stressed until clearly calm); else the enter band.
    reasons = overBands(options.loadSignal(), state === 'stressed');
    const wanted: AdaptiveState = reasons.length > 0 ? 'stressed' : 'normal';
    if (wanted !== state && now - lastTransition >= minDwellMs) {
      state = wanted;
      lastTransition = now;
    }
    factor = state === 'stressed' ? Math.max(minFactor, factor * decreaseFactor) : Math.min(1, factor + increaseStep);
  };

  return {
    factor() {
      evaluate();
      return factor;
    },
    limit(base) {
      evaluate();
      return Math.max(1, Math.floor(base * factor));
    },
    get state() {
      return state;
    },
    get reasons() {
      return reasons;
    },
  };
}
