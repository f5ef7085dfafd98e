import type { Clock } from '@wai/metrics-core';

/**
 * Callers waiting for another instance's load of a key, woken by its pub/sub announcement (not by polling) or,
 * at the latest, after a bounded wait.
 */
export interface LeaseWaiters {
  /** Registers a waiter; its promise resolves (never rejects) on `wake(key)`, `wakeAll()` or after `ms`. */
  wait(key: string, ms: number): { promise: Promise<void>; cancel(): void };
  wake(key: string): void;
  wakeAll(): void;
}

export function createLeaseWaiters(clock: Clock): LeaseWaiters {
  const waiters = new Map<string, Set<() => void>>();
  return {
    wait(key, ms) {
      let wake!: () => void;
      const promise = new Promise<void>((resolve) => {
        wake = resolve;
      });
      let forKey = waiters.get(key);
      if (!forKey) waiters.set(key, (forKey = new Set()));
      forKey.add(wake);
      const timer = clock.setTimeout(wake, ms);
      const cancel = () => {
        timer.cancel();
        const current = waiters.get(key);
        current?.delete(wake);
        if (current?.size === 0) waiters.delete(key);
        wake();
      };
      void promise.then(cancel);
      return { promise, cancel };
    },
    wake(key) {
      const forKey = waiters.get(key);
      if (!forKey) return;
      waiters.delete(key);
      for (const wake of forKey) wake();
    },
    wakeAll() {
      for (const forKey of waiters.values()) for (const wake of forKey) wake();
      waiters.clear();
    },
  };
}
