import { ValidationError } from '../errors.js';
import { HTTP_OPTION_DEFAULTS } from './option-defaults.js';

export interface ConcurrencyLimiterOptions {
  /** Most requests in flight; more are shed with 503. */
  max: number;
  /** `Retry-After` (seconds) on a shed request. @default 1 */
  retryAfterSeconds?: number;
}

export interface ConcurrencyLimiter {
  /** Takes a slot; false when `max` are in flight (shed the request). Call `release()` once per `true`. */
  tryAcquire(): boolean;
  release(): void;
  readonly inFlight: number;
  readonly max: number;
  readonly retryAfterSeconds: number;
}

/** A counting semaphore without a queue: under overload, failing fast beats queueing (Little's law). */
export function createConcurrencyLimiter(options: ConcurrencyLimiterOptions): ConcurrencyLimiter {
  const { max } = options;
  const retryAfterSeconds = options.retryAfterSeconds ?? HTTP_OPTION_DEFAULTS.concurrency.retryAfterSeconds;
  if (!Number.isInteger(max) || max < 1) throw new ValidationError('E_INVALID_ARGUMENT', `[wai:metrics-core] concurrency max must be a positive integer, got ${String(max)}`);
  let inFlight = 0;
  return {
    tryAcquire() {
      if (inFlight >= max) return false;
      inFlight += 1;
      return true;
    },
    release() {
      if (inFlight > 0) inFlight -= 1;
    },
    get inFlight() {
      return inFlight;
    },
    max,
    retryAfterSeconds,
  };
}
