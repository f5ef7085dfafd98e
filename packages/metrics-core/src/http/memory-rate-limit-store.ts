import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { ValidationError } from '../errors.js';
import type { RateLimitHit, RateLimitStore } from '../contracts/rate-limit.js';
import { HTTP_OPTION_DEFAULTS } from './option-defaults.js';

export interface MemoryRateLimitStoreOptions {
  /** Most keys tracked; the least recently hit are dropped first (bounded memory under key floods). @default 100000 */
  maxKeys?: number;
  /** How often expired windows are swept (ms). @default 60000 */
  sweepIntervalMs?: number;
  clock?: Clock;
}

export interface MemoryRateLimitStore extends RateLimitStore {
  decrement(key: string, windowMs: number): Promise<void>;
  readonly size: number;
  close(): Promise<void>;
}

interface Counter {
  /** Index of the current fixed window (`floor(now / windowMs)`). */
  window: number;
  current: number;
  previous: number;
  expiresAt: number;
}

/**
 * Sliding-window counter as Cloudflare describes it ("How we built rate limiting capable of scaling to millions
 * of domains", 2017): two fixed-window counters, the previous one weighted by how much of it still overlaps the
 * sliding window — `count = previous × (1 − elapsed/windowMs) + current`. O(1) memory per key, accurate to a
 * fraction of a percent for smooth traffic. Keys idle for two windows expire; at most `maxKeys` are held.
 */
export function createMemoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): MemoryRateLimitStore {
  const maxKeys = options.maxKeys ?? HTTP_OPTION_DEFAULTS.memoryRateLimitStore.maxKeys;
  const sweepIntervalMs = options.sweepIntervalMs ?? HTTP_OPTION_DEFAULTS.memoryRateLimitStore.sweepIntervalMs;
  const clock = options.clock ?? systemClock;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) {
    throw new ValidationError('E_INVALID_ARGUMENT', `[wai:metrics-core] maxKeys must be a positive integer, got ${String(maxKeys)}`);
  }
  const counters = new Map<string, Counter>();
  let sweeper: TimerHandle | undefined;

  const sweep = () => {
    const now = clock.now();
    for (const [key, counter] of counters) if (counter.expiresAt <= now) counters.delete(key);
    if (counters.size === 0 && sweeper) {
      sweeper.cancel();
      sweeper = undefined;
    }
  };

  const checkWindow = (windowMs: number) => {
    if (!Number.isFinite(windowMs) || windowMs <= 0) {
      throw new ValidationError('E_INVALID_ARGUMENT', `[wai:metrics-core] windowMs must be > 0, got ${String(windowMs)}`);
    }
  };

  /** Rolls the counter forward to the window containing `now`. */
  const roll = (counter: Counter, window: number) => {
    if (window === counter.window) return;
    counter.previous = window === counter.window + 1 ? counter.current : 0;
    counter.current = 0;
    counter.window = window;
  };

  return {
    get size() {
      return counters.size;
    },
    async increment(key: string, windowMs: number): Promise<RateLimitHit> {
      checkWindow(windowMs);
      const now = clock.now();
      const window = Math.floor(now / windowMs);
      const id = `${windowMs}:${key}`;
      let counter = counters.get(id);
      if (counter) {
        counters.delete(id); // re-inserted below: Map order = least recently hit first
        roll(counter, window);
      } else {
        counter = { window, current: 0, previous: 0, expiresAt: 0 };
      }
      counter.current += 1;
      counter.expiresAt = (window + 2) * windowMs;
      counters.set(id, counter);
      while (counters.size > maxKeys) counters.delete(counters.keys().next().value as string);
      sweeper ??= clock.setInterval(sweep, sweepIntervalMs);
      const windowStart = window * windowMs;
      const weight = 1 - (now - windowStart) / windowMs;
      return { count: counter.previous * weight + counter.current, resetInMs: windowStart + windowMs - now };
    },
    async decrement(key: string, windowMs: number): Promise<void> {
      checkWindow(windowMs);
      const counter = counters.get(`${windowMs}:${key}`);
      if (!counter) return;
      roll(counter, Math.floor(clock.now() / windowMs));
      if (counter.current > 0) counter.current -= 1;
    },
    async reset(key: string): Promise<void> {
      const suffix = `:${key}`;
      for (const id of [...counters.keys()]) {
        if (id.endsWith(suffix) && /^\d+(?:\.\d+)?$/.test(id.slice(0, id.length - suffix.length))) counters.delete(id);
      }
    },
    async close(): Promise<void> {
      sweeper?.cancel();
      sweeper = undefined;
      counters.clear();
    },
  };
}
