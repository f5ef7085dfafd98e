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
const NOT_OK: CallResult<never> = Object.freeze({ ok: false as const });
const NOT_OK_PROMISE: Promise<CallResult<never>> = Promise.resolve(NOT_OK);

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

  // Call deadlines without a timer per call: every call has the same timeout, so deadlines come in start order
  // and one timer, armed for the oldest unsettled call, covers them all (a timer per call cost a setTimeout, a
  // clearTimeout and a closure on the L2 hot path). Settled calls are skipped lazily when the timer fires.
  interface InFlight {
    readonly deadline: number;
    settled: boolean;
    timeOut(): void;
  }
  const queue: InFlight[] = [];
  let head = 0;
  let deadlineTimer: TimerHandle | undefined;
  const armDeadline = () => {
    while (head < queue.length && queue[head]!.settled) head++;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
      return;
    }
    if (head >= 1024) {
      queue.splice(0, head);
      head = 0;
    }
    deadlineTimer = clock.setTimeout(expire, Math.max(0, queue[head]!.deadline - clock.monotonic()));
  };
  const expire = () => {
    deadlineTimer = undefined;
    const now = clock.monotonic();
    while (head < queue.length) {
      const call = queue[head]!;
      if (!call.settled && call.deadline > now) break;
      head++;
      if (!call.settled) {
        call.settled = true;
        call.timeOut();
      }
    }
    armDeadline();
  };
  const failed = (error: unknown): CallResult<never> => {
    breaker.failure();
    options.onError(tier.name, error);
    return NOT_OK;
  };

  const remote: RemoteTier = {
    tier,
    name: tier.name,
    owned: options.owned,
    breaker,
    pending: createPendingQueue(10_000),
    get circuit() {
      return breaker.state;
    },
    call<T>(operation: (target: CacheTier) => Promise<T>): Promise<CallResult<T>> {
      if (!breaker.allow()) return NOT_OK_PROMISE;
      if ((tier as { down?: boolean }).down === true) {
        // The client knows its connection is gone: fail now instead of waiting for the command timeout.
        return Promise.resolve(failed(tierUnavailable(tier.name, 'disconnected')));
      }
      return new Promise<CallResult<T>>((resolve) => {
        const call: InFlight = {
          deadline: clock.monotonic() + commandTimeout,
          settled: false,
          timeOut: () => resolve(failed(tierUnavailable(tier.name, new Error(`no answer within ${commandTimeout} ms`)))),
        };
        queue.push(call);
        if (deadlineTimer === undefined) armDeadline();
        let pending: Promise<T>;
        try {
          pending = operation(tier);
        } catch (error) {
          pending = Promise.reject(error);
        }
        pending.then(
          (value) => {
            if (call.settled) return;
            call.settled = true;
            breaker.success();
            resolve({ ok: true, value });
          },
          (error: unknown) => {
            if (call.settled) return;
            call.settled = true;
            resolve(failed(error));
          },
        );
      });
    },
    stop() {
      stopped = true;
      stopProbe();
    },
  };
  return remote;
}
