import type { EventEmitter } from 'node:events';
import type { TierName } from '../tier.js';
import type { AccessCounters } from './basic-stats.js';
import type { HookRegistry } from './hooks.js';
import type { CacheEvents } from './types.js';

/** How the cache reports each answer: counters always, hook and emitter events only when someone listens. */
export interface AccessEvents {
  hit(key: string, tier: TierName): void;
  miss(key: string): void;
  set(key: string): void;
}

/**
 * `samplePeriod` (a power of two): one hit in this many is reported as an `accessSample` (misses always are), so
 * statistics such as top keys cost the L1-hit path one counter increment and a mask test.
 */
export function createAccessEvents(emitter: EventEmitter<CacheEvents>, hooks: HookRegistry, counters: AccessCounters, samplePeriod: number): AccessEvents {
  const sampleMask = samplePeriod - 1;
  let hitsSeen = 0;
  // Listeners counted as they come and go, so the hot path reads a number, not listenerCount().
  let hitListeners = 0;
  let missListeners = 0;
  const count = (event: string | symbol, delta: number) => {
    if (event === 'hit') hitListeners += delta;
    else if (event === 'miss') missListeners += delta;
  };
  (emitter as EventEmitter).on('newListener', (event: string | symbol) => count(event, 1));
  (emitter as EventEmitter).on('removeListener', (event: string | symbol) => count(event, -1));
  return {
    hit(key, tier) {
      counters.hits++;
      if (hooks.listening.access > 0) hooks.emit('access', { key, hit: true, tier });
      if (hooks.listening.accessSample > 0 && (++hitsSeen & sampleMask) === 0) hooks.emit('accessSample', { key, hit: true, tier, weight: samplePeriod });
      if (hitListeners > 0) emitter.emit('hit', key, tier);
    },
    miss(key) {
      counters.misses++;
      if (hooks.has('access')) hooks.emit('access', { key, hit: false, tier: undefined });
      if (hooks.has('accessSample')) hooks.emit('accessSample', { key, hit: false, tier: undefined, weight: 1 });
      if (missListeners > 0) emitter.emit('miss', key);
    },
    set(key) {
      if (emitter.listenerCount('set') > 0) emitter.emit('set', key);
    },
  };
}
