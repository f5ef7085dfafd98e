import type { Clock, TimerHandle } from '@wai/metrics-core';
import { createCircuitBreaker, type CircuitBreaker, type CircuitState } from '../circuit-breaker.js';
import { tierUnavailable } from '../errors.js';
import type { CacheTier, TierName } from '../tier.js';
import { createPendingQueue, type PendingQueue } from './pending-queue.js';
import type { ComposedTier } from './types.js';

export type CallResult<T> = { ok: true; value: T } | { ok: false };

/** A remote tier (L2, L3) as the cache drives it: every call bounded by a timeout and a circuit breaker. */
export interface RemoteTier extends ComposedTier {
  readonly tier: CacheTier;
  readonly owned: boolean;
  readonly breaker: CircuitBreaker;
  /** Invalidations the tier could not take while down, replayed when it is up again. */
  readonly pending: PendingQueue;
  /** Runs `operation`; `{ ok: false }` when the circuit is open or the call failed or timed out (never throws). */
  call<T>(operation: (tier: CacheTier) => Promise<T>): Promise<CallResult<T>>;
  /** Stops the background probe. */
  stop(): void;
}

export interface RemoteTierOptions {
  owned: boolean;
  clock: Clock;
  /** Ms a call may take. */
  commandTimeout: number;
  failureThreshold: number;
  /** Ms an open circuit waits before a probe; also the background probe's period. */
  resetTimeout: number;
  onError(tier: TierName, error: unknown): void;
  onDown(tier: TierName): void;
  onUp(tier: TierName): void;
}

const PROBE_KEY = '__wai_probe__';

export function createRemoteTier(tier: CacheTier, options: RemoteTierOptions): RemoteTier {
  const { clock, commandTimeout } = options;
  let probe: TimerHandle | undefined;
  let stopped = false;

  const stopProbe = () => {
    probe?.cancel();
    probe = undefined;
  };

  const onStateChange = (state: CircuitState, previous: CircuitState) => {
    if (state === 'open' && previous === 'closed') options.onDown(tier.name);
    if (state === 'open' && !probe && !stopped) {
      // Probe in the background, so a tier comes back (and queued invalidations replay) without traffic.
      probe = clock.setInterval(() => {
        if (breaker.state === 'closed') return stopProbe();
        void remote.call((target) => target.get(PROBE_KEY));
      }, options.resetTimeout);
    }
    if (state === 'closed') {
      stopProbe();
      options.onUp(tier.name);
    }
  };
  const breaker = createCircuitBreaker({ clock, failureThreshold: options.failureThreshold, resetTimeout: options.resetTimeout, onStateChange });

  const withTimeout = <T>(promise: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(() => reject(tierUnavailable(tier.name, new Error(`no answer within ${commandTimeout} ms`))), commandTimeout);
      promise.then(
        (value) => {
          timer.cancel();
          resolve(value);
        },
        (error: unknown) => {
          timer.cancel();
          reject(error);
        },
      );
    });

  const remote: RemoteTier = {
    tier,
    name: tier.name,
    owned: options.owned,
    breaker,
    pending: createPendingQueue(10_000),
    get circuit() {
      return breaker.state;
    },
    async call<T>(operation: (target: CacheTier) => Promise<T>): Promise<CallResult<T>> {
      if (!breaker.allow()) return { ok: false };
      if ((tier as { down?: boolean }).down === true) {
        // The client knows its connection is gone: fail now instead of waiting for the command timeout.
        breaker.failure();
        options.onError(tier.name, tierUnavailable(tier.name, 'disconnected'));
        return { ok: false };
      }
      try {
        const value = await withTimeout(operation(tier));
        breaker.success();
        return { ok: true, value };
      } catch (error) {
        breaker.failure();
        options.onError(tier.name, error);
        return { ok: false };
      }
    },
    stop() {
      stopped = true;
      stopProbe();
    },
  };
  return remote;
}
