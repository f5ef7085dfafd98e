import type { Clock, TimerHandle } from '@wai/metrics-core';
import { createCircuitBreaker, type CircuitBreaker, type CircuitState } from '../circuit-breaker.js';
import { tierUnavailable } from '../errors.js';
import type { CacheEntry, CacheTier, TierName } from '../tier.js';
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
  /**
   * For writes and invalidations: tried even while the circuit is open (a circuit opened by slow reads must not
   * turn a delete into a queued one that other instances do not see), failing fast only when the client knows it
   * is disconnected, with its own deadline of `timeoutMs`.
   */
  write<T>(operation: (tier: CacheTier) => Promise<T>, timeoutMs: number): Promise<CallResult<T>>;
  /** `call((tier) => tier.get(key))` without a closure per read (reads are the hot path). */
  get(key: string): Promise<CallResult<CacheEntry | undefined>>;
  /** Calls started and not yet answered or timed out (settled calls are let go at once). */
  readonly inFlight: number;
  /** Stops the background probe. */
  stop(): void;
}

export interface RemoteTierOptions {
  owned: boolean;
  clock: Clock;
  /** Ms a call may take. */
  commandTimeout: number;
  failureThreshold: number;
  /** A breaker shared with other clients of the same server; `failureThreshold` / `resetTimeout` are then its own. */
  breaker?: CircuitBreaker;
  /** Invalidations queued while the tier is down, at most (then they collapse into one clear). */
  maxPending?: number;
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
  const breaker = options.breaker ?? createCircuitBreaker({ clock, failureThreshold: options.failureThreshold, resetTimeout: options.resetTimeout });
  const unsubscribe = breaker.subscribe(onStateChange);

  // Call deadlines without a timer per call: every call has the same timeout, so deadlines come in start order
  // and one timer, armed for the oldest unsettled call, covers them all (a timer per call cost a setTimeout, a
  // clearTimeout and a closure on the L2 hot path). Calls sit in a doubly linked list and unlink themselves when
  // they settle: an earlier version kept settled calls in an array until the timer fired, and the ~50k calls a
  // 500 ms window holds at full speed survived into the old generation (GC took a fifth of the CPU).
  class InFlight {
    prev: InFlight | undefined = undefined;
    next: InFlight | undefined = undefined;
    constructor(
      readonly deadline: number,
      public resolve: ((result: CallResult<never>) => void) | undefined,
    ) {}
  }
  let oldest: InFlight | undefined;
  let newest: InFlight | undefined;
  let deadlineTimer: TimerHandle | undefined;
  let inFlight = 0;
  const link = (call: InFlight) => {
    inFlight++;
    call.prev = newest;
    if (newest) newest.next = call;
    else oldest = call;
    newest = call;
    if (deadlineTimer === undefined) deadlineTimer = clock.setTimeout(expire, commandTimeout);
  };
  /** Unlinks a call and reports whether it was still unsettled (the first settlement wins). */
  const settle = (call: InFlight): boolean => {
    if (call.resolve === undefined) return false;
    call.resolve = undefined;
    inFlight--;
    if (call.prev) call.prev.next = call.next;
    else oldest = call.next;
    if (call.next) call.next.prev = call.prev;
    else newest = call.prev;
    call.prev = call.next = undefined;
    return true;
  };
  const expire = () => {
    deadlineTimer = undefined;
    const now = clock.monotonic();
    while (oldest !== undefined && oldest.deadline <= now) {
      const call = oldest;
      const resolve = call.resolve!;
      settle(call);
      resolve(failed(tierUnavailable(tier.name, new Error(`no answer within ${commandTimeout} ms`))));
    }
    // Settled calls left the list, so the head is the oldest call still waiting.
    if (oldest !== undefined) deadlineTimer = clock.setTimeout(expire, Math.max(0, oldest.deadline - now));
  };
  const failed = (error: unknown): CallResult<never> => {
    breaker.failure();
    options.onError(tier.name, error);
    return NOT_OK;
  };

  /** Runs `operation`, or `tier.get(readKey)` when no operation is given. */
  function invoke<T>(operation: ((target: CacheTier) => Promise<T>) | undefined, readKey: string | undefined): Promise<CallResult<T>> {
    if (!breaker.allow()) return NOT_OK_PROMISE;
    if ((tier as { down?: boolean }).down === true) {
      // The client knows its connection is gone: fail now instead of waiting for the command timeout.
      return Promise.resolve(failed(tierUnavailable(tier.name, 'disconnected')));
    }
    return new Promise<CallResult<T>>((resolve) => {
      const call = new InFlight(clock.monotonic() + commandTimeout, resolve as (result: CallResult<never>) => void);
      link(call);
      let pending: Promise<T>;
      try {
        pending = operation ? operation(tier) : (tier.get(readKey!) as Promise<T>);
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          if (!settle(call)) return;
          breaker.success();
          resolve({ ok: true, value });
        },
        (error: unknown) => {
          if (settle(call)) resolve(failed(error));
        },
      );
    });
  }

  /**
   * Attempts until one succeeds or `timeoutMs` has passed (backing off 2, 4, 8… ms): a failure here is usually
   * transient (SQLite's busy lock, a reply that came late), and an invalidation that is queued instead of applied
   * leaves the tier serving, to the other instances, what it was meant to remove. One attempt while the circuit
   * is open; none while the client knows it is disconnected.
   */
  async function write<T>(operation: (target: CacheTier) => Promise<T>, timeoutMs: number): Promise<CallResult<T>> {
    const deadline = clock.monotonic() + timeoutMs;
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      if ((tier as { down?: boolean }).down === true) return failed(tierUnavailable(tier.name, 'disconnected'));
      const left = deadline - clock.monotonic();
      const result = await attemptWithin(operation, Math.max(1, left));
      if (result.ok) {
        breaker.success();
        return result;
      }
      lastError = result.error;
      const pause = Math.min(2 ** (attempt + 1), deadline - clock.monotonic());
      if (breaker.state === 'open' || pause <= 0) return failed(lastError);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, pause));
    }
  }

  function attemptWithin<T>(operation: (target: CacheTier) => Promise<T>, timeoutMs: number): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    return new Promise((resolve) => {
      let settled = false;
      const timer = clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        resolve({ ok: false, error: new Error(`no answer within ${timeoutMs} ms`) });
      }, timeoutMs);
      let pending: Promise<T>;
      try {
        pending = operation(tier);
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          if (settled) return;
          settled = true;
          timer.cancel();
          resolve({ ok: true, value });
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          timer.cancel();
          resolve({ ok: false, error });
        },
      );
    });
  }

  const remote: RemoteTier = {
    tier,
    name: tier.name,
    owned: options.owned,
    breaker,
    pending: createPendingQueue(options.maxPending ?? 10_000),
    get circuit() {
      return breaker.state;
    },
    get inFlight() {
      return inFlight;
    },
    call: (operation) => invoke(operation, undefined),
    write,
    get: (key) => invoke(undefined, key),
    stop() {
      stopped = true;
      stopProbe();
      unsubscribe();
    },
  };
  return remote;
}
