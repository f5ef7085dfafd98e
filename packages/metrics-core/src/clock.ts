import { performance } from 'node:perf_hooks';

/**
 * Time is injected everywhere so tests control it (TanStack Query's timer-manager idea). `now()` is wall-clock
 * milliseconds (for timestamps and windows); `monotonic()` is for measuring durations.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A monotonic reading in milliseconds (only differences are meaningful). */
  monotonic(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  setInterval(callback: () => void, ms: number): TimerHandle;
}

/** A timer that never keeps the process alive and can be cancelled. */
export interface TimerHandle {
  cancel(): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  setInterval(callback, ms) {
    const timer = setInterval(callback, ms);
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  },
};
