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

export function createAccessEvents(emitter: EventEmitter<CacheEvents>, hooks: HookRegistry, counters: AccessCounters): AccessEvents {
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
      if (hitListeners > 0) emitter.emit('hit', key, tier);
    },
    miss(key) {
      counters.misses++;
      if (hooks.has('access')) hooks.emit('access', { key, hit: false, tier: undefined });
      if (missListeners > 0) emitter.emit('miss', key);
    },
    set(key) {
      if (emitter.listenerCount('set') > 0) emitter.emit('set', key);
    },
  };
}
