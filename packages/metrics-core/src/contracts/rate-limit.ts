/**
 * Rate-limit counters shared across instances and the decision the monitor counts.
 * Units: durations in milliseconds unless named `ttl` (seconds); rates are fractions 0..1 unless the name says
 * `Percent` (0..100).
 */

export interface RateLimitHit {
  /** Hits in the sliding window including this one (weighted previous window + current window). */
  count: number;
  /** Ms until the current fixed window ends. */
  resetInMs: number;
}

/**
 * Atomic counters for sliding-window limits: `increment` records one hit and returns the window's count
 * including it. Memory implementation in core; Redis (Lua) in @wai/cache-tiers for limits across instances.
 */
export interface RateLimitStore {
  increment(key: string, windowMs: number): Promise<RateLimitHit>;
  /** Undo one hit (e.g. when a request is not counted after all). */
  decrement?(key: string, windowMs: number): Promise<void>;
  reset(key: string): Promise<void>;
  close?(): Promise<void>;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** 'limited' → 429, 'shed' → 503 from the concurrency limiter. */
  reason?: 'limited' | 'shed';
  route?: string;
  key?: string;
  limit: number;
  remaining: number;
  resetInMs: number;
}
