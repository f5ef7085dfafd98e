import { TimeoutError, type TimerHandle } from '@wai/metrics-core';
import type { LeaseWaiters } from '../bus/lease-waiters.js';
import { createSingleFlight } from '../single-flight.js';
import type { CacheEntry } from '../tier.js';
import type { AccessEvents } from './access-events.js';
import type { BusLink } from './bus-link.js';
import type { EntryFactory } from './entry-factory.js';
import type { FillGuard } from './fill-guard.js';
import type { HookRegistry } from './hooks.js';
import type { Found, ReadPath } from './read-path.js';
import type { ResolvedCacheOptions } from './resolve-options.js';
import type { TierStack } from './tier-stack.js';
import type { FillToken, GetOrSetOptions, Loader } from './types.js';

/**
 * Loads past a miss: one flight per key in this process, one load across instances through the Redis lease,
 * fail-safe (a stale value while the loader fails), soft and hard timeouts, and the fill check on the result.
 */
export interface LoadCoordinator {
  /** `getOrSet` after L1 missed: joins a flight that may still be joined, or starts one. */
  getOrLoad<T>(key: string, loader: Loader<T>, callOptions: GetOrSetOptions | undefined): Promise<T>;
  /** Loads `key` again (refresh-ahead, prediction); single-flight per key. */
  refresh(key: string, loader: Loader<unknown>, callOptions: GetOrSetOptions | undefined): Promise<void>;
  /** A write replaced or removed the key: a failed load's fail-safe window no longer applies. */
  forgetFailure(key?: string): void;
}

export interface LoadCoordinatorOptions {
  resolved: ResolvedCacheOptions;
  stack: TierStack;
  reads: ReadPath;
  entries: EntryFactory;
  guard: FillGuard;
  hooks: HookRegistry;
  events: AccessEvents;
  leaseWaiters: LeaseWaiters;
  busLink: BusLink | undefined;
  instanceId: string;
  track(promise: Promise<unknown>): void;
  reportError(error: unknown): void;
}

interface Flight {
  promise: Promise<unknown> | undefined;
  /** The guard's counter when the flight began, and the tags its result will carry: who may still join it. */
  local: number;
  tags: readonly string[];
}

export function createLoadCoordinator(options: LoadCoordinatorOptions): LoadCoordinator {
  const { resolved, stack, reads, entries, guard, hooks, events, leaseWaiters, busLink, instanceId, track, reportError } = options;
  const { clock, lease: leaseOptions, failSafeRetryInterval } = resolved;
  const coordinator = stack.coordinator;
  const refreshes = createSingleFlight();
  const failedAt = new Map<string, number>();
  // A plain map of flight records rather than `createSingleFlight`: this runs on every L2 hit, and a record plus
  // one async frame cost less than the three chained promises a generic single-flight needs.
  const flights = new Map<string, Flight>();

  async function readThrough<T>(key: string, loader: Loader<T>, callOptions: GetOrSetOptions | undefined, flight: Flight): Promise<T> {
    try {
      // The token is taken before the first shared read: a load after a miss is a fill begun then.
      const token = reads.newToken();
      const found = await reads.lookup(key, true, true, token);
      if (reads.isFresh(found)) {
        events.hit(key, found.tier);
        return found.entry.value as T;
      }
      return await resolveMiss(key, loader, callOptions, token, found);
    } finally {
      if (flights.get(key) === flight) flights.delete(key);
    }
  }

  /** Past a read that found nothing fresh: fail-safe, the cross-instance lease, then the load. */
  async function resolveMiss<T>(key: string, loader: Loader<T>, callOptions: GetOrSetOptions | undefined, token: FillToken, found: Found | undefined): Promise<T> {
    const stale = found?.entry;
    if (stale) {
      const failed = failedAt.get(key);
      if (failed !== undefined && clock.now() - failed < failSafeRetryInterval) {
        events.hit(key, found.tier);
        return stale.value as T; // fail-safe: the loader failed recently; do not hammer it
      }
    }
    events.miss(key);
    let leaseHeld = false;
    const useLease = leaseOptions && (callOptions?.lease ?? true) && busLink?.connected && coordinator?.slot.breaker.state === 'closed';
    if (useLease) {
      const outcome = await throughLease(key, callOptions, stale);
      if (outcome.kind === 'found') {
        if (outcome.hit) events.hit(key, outcome.hit);
        return outcome.value as T;
      }
      leaseHeld = outcome.kind === 'load-holding';
    }
    return load(key, loader, callOptions, stale, leaseHeld, token);
  }

  type LeaseOutcome = { kind: 'found'; value: unknown; hit?: string } | { kind: 'load-holding' } | { kind: 'load' };

  /**
   * Cross-instance single-flight: one instance loads, the others wait for its announcement — for that holder's
   * load only, woken by the announcement or every `lease.poll` ms to check that it still holds the lease. Once it
   * let go (announcement lost, holder crashed, or its result refused by an invalidation) a new holder is not
   * waited for again — under constant writes that would wait all of `lease.wait` — and this caller loads itself.
   */
  async function throughLease(key: string, callOptions: GetOrSetOptions | undefined, stale: CacheEntry | undefined): Promise<LeaseOutcome> {
    const { tier: lease, slot } = coordinator!;
    const softTimeout = callOptions?.softTimeout ?? resolved.softTimeout;
    const waitMs = stale && softTimeout !== undefined ? Math.min(leaseOptions!.wait, softTimeout) : leaseOptions!.wait;
    const waitUntil = clock.monotonic() + waitMs;
    const waiter = leaseWaiters.wait(key, Math.min(waitMs, leaseOptions!.poll));
    const acquired = await slot.call(() => lease.acquireLease(key, instanceId, leaseOptions!.ttl));
    if (!acquired.ok) {
      waiter.cancel();
      // The acquire may have reached Redis and only its answer been lost: release it after the load, or the
      // other instances would wait for a lease nobody holds (release is compare-and-delete on our id).
      return { kind: 'load-holding' };
    }
    if (acquired.value) {
      waiter.cancel();
      // Double-checked: another instance may have stored the value and freed the lease between our read and our
      // acquire (a cold key whose requests arrive spread out); loading again would be a second load.
      const loaded = await reads.lookup(key, true);
      if (reads.isFresh(loaded)) {
        track(releaseLease(key));
        return { kind: 'found', value: loaded.entry.value, hit: loaded.tier };
      }
      return { kind: 'load-holding' };
    }
    // Someone else is loading. Re-check first (it may have finished before we subscribed), then wait.
    hooks.emit('stampedePrevented', { key, scope: 'lease' });
    let loaded = await reads.lookup(key, true);
    let current = waiter;
    const holder = reads.isFresh(loaded) ? undefined : await slot.call(() => lease.leaseOwner(key));
    while (holder?.ok && holder.value !== null && !reads.isFresh(loaded) && clock.monotonic() < waitUntil) {
      await current.promise;
      loaded = await reads.lookup(key, true);
      if (reads.isFresh(loaded)) break;
      const owner = await slot.call(() => lease.leaseOwner(key));
      if (!owner.ok || owner.value !== holder.value) break;
      current = leaseWaiters.wait(key, Math.max(1, Math.min(leaseOptions!.poll, waitUntil - clock.monotonic())));
    }
    current.cancel();
    if (reads.isFresh(loaded)) return { kind: 'found', value: loaded.entry.value };
    // The holder is still refreshing: a stale value (within grace) beats a second load.
    if (stale) return { kind: 'found', value: stale.value };
    return { kind: 'load' };
  }

  async function releaseLease(key: string): Promise<void> {
    if (!coordinator) return;
    const { tier: lease, slot } = coordinator;
    await slot.call(() => lease.releaseLease(key, instanceId));
    await busLink?.announceLease(key);
  }

  /** Runs the loader once and stores its result as a fill of `token`. */
  function startLoad<T>(key: string, loader: Loader<T>, callOptions: GetOrSetOptions | undefined, stale: CacheEntry | undefined, leaseHeld: boolean, token: FillToken): Promise<T> {
    const started = clock.monotonic();
    const createdAt = clock.now();
    return Promise.resolve()
      .then(() => loader({ key, stale: stale?.value as T | undefined }))
      .then(
        (value) => {
          hooks.emit('load', { key, latencyMs: clock.monotonic() - started });
          let made: ReturnType<EntryFactory['make']>;
          try {
            made = entries.make(value, callOptions, createdAt);
          } catch (error) {
            if (leaseHeld) track(releaseLease(key)); // an unserialisable result: nothing stored, lease freed
            throw error;
          }
          failedAt.delete(key);
          const writes = reads.storeFill(key, made.entry, token);
          track(leaseHeld ? writes.finally(() => releaseLease(key)) : writes);
          return made.entry.value as T;
        },
        (error: unknown) => {
          hooks.emit('load', { key, latencyMs: clock.monotonic() - started, error });
          if (leaseHeld) track(releaseLease(key));
          throw error;
        },
      );
  }

  /** The load, answered early by a stale value on a soft timeout or a failure, or abandoned on a hard timeout. */
  function load<T>(key: string, loader: Loader<T>, callOptions: GetOrSetOptions | undefined, stale: CacheEntry | undefined, leaseHeld: boolean, token: FillToken): Promise<T> {
    const loading = startLoad(key, loader, callOptions, stale, leaseHeld, token);
    const softTimeout = callOptions?.softTimeout ?? resolved.softTimeout;
    const hardTimeout = callOptions?.hardTimeout ?? resolved.hardTimeout;
    if (softTimeout === undefined && hardTimeout === undefined && !stale) return loading;

    return new Promise<T>((resolve, reject) => {
      const timers: TimerHandle[] = [];
      let settled = false;
      const finish = (action: () => void) => {
        if (settled) return;
        settled = true;
        for (const timer of timers) timer.cancel();
        action();
      };
      const serveStale = () => {
        failedAt.set(key, clock.now());
        finish(() => resolve(stale!.value as T));
      };
      loading.then(
        (value) => finish(() => resolve(value)),
        (error: unknown) => {
          if (settled) return reportError(error);
          if (stale && !hasCode(error, 'E_UNSERIALIZABLE_VALUE')) {
            reportError(error);
            serveStale();
          } else finish(() => reject(error));
        },
      );
      if (stale && softTimeout !== undefined) {
        // Answer with the stale value; the load goes on and stores its result when it comes.
        timers.push(clock.setTimeout(() => finish(() => resolve(stale.value as T)), softTimeout));
      }
      if (hardTimeout !== undefined) {
        timers.push(
          clock.setTimeout(() => {
            if (stale) return serveStale();
            finish(() => reject(new TimeoutError(`[wai:cache-tiers] loader for "${key}" did not finish within ${hardTimeout} ms (hardTimeout)`, { details: { key, hardTimeout } })));
          }, hardTimeout),
        );
      }
    });
  }

  return {
    getOrLoad<T>(key: string, loader: Loader<T>, callOptions: GetOrSetOptions | undefined): Promise<T> {
      const current = flights.get(key);
      // Joining a flight is a read that begins now: not one begun before an invalidation of the key or its tags
      // (its result may predate it). Such a flight still answers its own callers; newcomers start another.
      if (current?.promise && guard.allows(current.local, key, current.tags)) {
        hooks.emit('stampedePrevented', { key, scope: 'process' });
        return current.promise as Promise<T>;
      }
      // Registered before the read starts; readThrough removes it when it settles (even synchronously).
      const flight: Flight = { promise: undefined, local: guard.token(), tags: callOptions?.tags ?? [] };
      flights.set(key, flight);
      const promise = readThrough(key, loader, callOptions, flight);
      flight.promise = promise;
      return promise;
    },
    async refresh(key, loader, callOptions) {
      const stale = (await reads.lookup(key))?.entry;
      await refreshes.run(key, async () => load(key, loader, callOptions, stale, false, await reads.beginFill())).promise;
    },
    forgetFailure(key) {
      if (key === undefined) failedAt.clear();
      else failedAt.delete(key);
    },
  };
}

export function hasCode(error: unknown, code?: string): error is Error & { code: string } {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && (code === undefined || (error as { code: string }).code === code);
}
