/**
 * Per-key request coalescing within one process (Go's `singleflight`): concurrent callers of the same key share
 * one promise, so a cold key is loaded once however many callers arrive before it resolves.
 */
export interface SingleFlight {
  /** Runs `work` unless a call for `key` is already in flight, in which case its promise is shared. */
  run<T>(key: string, work: () => Promise<T>): { promise: Promise<T>; shared: boolean };
  readonly inFlight: number;
}

export function createSingleFlight(): SingleFlight {
  const calls = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, work: () => Promise<T>) {
      const existing = calls.get(key) as Promise<T> | undefined;
      if (existing) return { promise: existing, shared: true };
      // `.then` defers `work` a microtask, so the promise is registered before anything can settle it.
      const promise: Promise<T> = Promise.resolve()
        .then(work)
        .finally(() => {
          if (calls.get(key) === promise) calls.delete(key);
        });
      calls.set(key, promise);
      return { promise, shared: false };
    },
    get inFlight() {
      return calls.size;
    },
  };
}
