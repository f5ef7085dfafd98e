import { systemClock, type Clock } from '@wai/metrics-core';

/**
 * A wall-clock reading for the hot path's expiry checks, re-read at most once per `resolutionMs`.
 *
 * On a loaded VM `Date.now()` costs ~110 ns, as much as the whole L1 lookup, and an L1-hit getOrSet read it
 * twice. This is lru-cache's `ttlResolution` technique (the reading is kept and a `resolutionMs` timer,
 * unref'd, drops it): within one millisecond, or one long synchronous stretch of the event loop, expiry checks
 * share a reading, so an entry may be served up to that long past its expiry. Only for the system clock:
 * an injected clock (tests, fake time) is read every time, so advancing it is seen at once.
 */
export function createCoarseNow(clock: Clock, resolutionMs: number): () => number {
  if (clock !== systemClock || resolutionMs <= 0) return () => clock.now();
  let cached = 0;
  const forget = () => {
    cached = 0;
  };
  return () => {
    if (cached !== 0) return cached;
    cached = Date.now();
    setTimeout(forget, resolutionMs).unref();
    return cached;
  };
}
