/** Background tasks keyed by cache key: at most one per key, counted, awaitable (refresh-ahead, prefetching). */
export interface KeyedTasks {
  readonly size: number;
  has(key: string): boolean;
  /** Starts `task` for `key` unless one is running; a rejection goes to `onError` (never unhandled). */
  run(key: string, task: () => Promise<void>, onError: (error: unknown) => void): void;
  /** Resolves when no task is running (tasks started meanwhile are awaited too). */
  idle(): Promise<void>;
}

export function createKeyedTasks(): KeyedTasks {
  const running = new Map<string, Promise<void>>();
  return {
    get size() {
      return running.size;
    },
    has: (key) => running.has(key),
    run(key, task, onError) {
      if (running.has(key)) return;
      running.set(
        key,
        task()
          .catch(onError)
          .finally(() => running.delete(key)),
      );
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
  };
}
