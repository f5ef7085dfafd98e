import { systemClock, type Clock } from '@wai/metrics-core';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 3 */
  failureThreshold?: number;
  /** Ms the circuit stays open before one probe call is let through (half-open). @default 1000 */
  resetTimeout?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Called on every state change (the cache turns them into `tier:down` / `tier:up`). */
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
}

/**
 * The classic three-state breaker (Nygard, "Release It!", ch. 5): closed counts consecutive failures; open
 * refuses calls without trying until `resetTimeout` has passed; then half-open lets exactly one probe through,
 * whose success closes the circuit and whose failure opens it again.
 */
export interface CircuitBreaker {
  readonly state: CircuitState;
  /** True when a call may be tried now (in half-open, only for the single probe). */
  allow(): boolean;
  success(): void;
  failure(): void;
  readonly failures: number;
  /**
   * Adds a listener for state changes (besides `options.onStateChange`); returns its removal. Lets several
   * clients of one Redis share a breaker: the cache's Redis tier and `redisRateLimitStore` see the same outage
   * once, so a request that waited out the first timed-out command does not wait again in the next client.
   */
  subscribe(listener: (state: CircuitState, previous: CircuitState) => void): () => void;
}

/** True for an object made by `createCircuitBreaker` (or one shaped like it). */
export function isCircuitBreaker(value: unknown): value is CircuitBreaker {
  const candidate = value as Partial<CircuitBreaker> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.allow === 'function' &&
    typeof candidate.success === 'function' &&
    typeof candidate.failure === 'function' &&
    typeof candidate.subscribe === 'function'
  );
}

export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const failureThreshold = options.failureThreshold ?? 3;
  const resetTimeout = options.resetTimeout ?? 1000;
  const clock = options.clock ?? systemClock;
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) throw new TypeError('failureThreshold must be an integer >= 1');
  if (!Number.isFinite(resetTimeout) || resetTimeout < 0) throw new TypeError('resetTimeout must be a number of ms >= 0');
  let state: CircuitState = 'closed';
  let consecutive = 0;
  let openedAt = 0;
  let probeInFlight = false;
  let failures = 0;
  const listeners = new Set<(state: CircuitState, previous: CircuitState) => void>();
  if (options.onStateChange) listeners.add(options.onStateChange);
  const move = (next: CircuitState) => {
    if (next === state) return;
    const previous = state;
    state = next;
    for (const listener of listeners) listener(next, previous);
  };
  return {
    get state() {
      return state;
    },
    get failures() {
      return failures;
    },
    allow() {
      if (state === 'closed') return true;
      if (state === 'open') {
        if (clock.now() - openedAt < resetTimeout) return false;
        move('half-open');
      }
      if (probeInFlight) return false;
      probeInFlight = true;
      return true;
    },
    success() {
      consecutive = 0;
      probeInFlight = false;
      move('closed');
    },
    failure() {
      failures++;
      consecutive++;
      probeInFlight = false;
      if (state === 'half-open' || consecutive >= failureThreshold) {
        openedAt = clock.now();
        move('open');
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
