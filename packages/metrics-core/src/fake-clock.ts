import type { Clock, TimerHandle } from './clock.js';

interface PendingTimer {
  id: number;
  at: number;
  every: number | undefined;
  callback: () => void;
}

/** A clock tests move by hand: `advance(ms)` runs due timers in order. */
export interface FakeClock extends Clock {
  advance(ms: number): void;
  set(epochMs: number): void;
  pendingTimers(): number;
}

export function createFakeClock(startEpochMs = 1_700_000_000_000): FakeClock {
  let current = startEpochMs;
  let nextId = 1;
  const timers = new Map<number, PendingTimer>();
  const schedule = (callback: () => void, ms: number, every: number | undefined): TimerHandle => {
    const id = nextId++;
    timers.set(id, { id, at: current + Math.max(0, ms), every, callback });
    return { cancel: () => void timers.delete(id) };
  };
  const runUntil = (target: number) => {
    for (;;) {
      let due: PendingTimer | undefined;
      for (const timer of timers.values()) if (timer.at <= target && (!due || timer.at < due.at)) due = timer;
      if (!due) break;
      current = due.at;
      if (due.every === undefined) timers.delete(due.id);
      else due.at += Math.max(1, due.every);
      due.callback();
    }
    current = target;
  };
  return {
    now: () => current,
    monotonic: () => current - startEpochMs,
    setTimeout: (callback, ms) => schedule(callback, ms, undefined),
    setInterval: (callback, ms) => schedule(callback, ms, ms),
    advance: (ms) => runUntil(current + ms),
    set: (epochMs) => runUntil(epochMs),
    pendingTimers: () => timers.size,
  };
}
