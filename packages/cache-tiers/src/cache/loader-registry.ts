/** A loader the cache may call again for a key (refresh-ahead, prediction, warming). */
export type RememberedLoader = (context: { key: string }) => unknown;

/**
 * Remembers the latest loader per key, bounded: the least recently remembered key goes first (a Map keeps
 * insertion order, and re-inserting moves a key to the end).
 */
export interface LoaderRegistry {
  remember(key: string, loader: RememberedLoader): void;
  get(key: string): RememberedLoader | undefined;
  forget(key: string): void;
  keys(): IterableIterator<string>;
  readonly size: number;
}

export function createLoaderRegistry(maxEntries: number): LoaderRegistry {
  const loaders = new Map<string, RememberedLoader>();
  return {
    remember(key, loader) {
      if (maxEntries <= 0) return;
      loaders.delete(key);
      loaders.set(key, loader);
      if (loaders.size > maxEntries) {
        const oldest = loaders.keys().next();
        if (!oldest.done) loaders.delete(oldest.value);
      }
    },
    get: (key) => loaders.get(key),
    forget: (key) => void loaders.delete(key),
    keys: () => loaders.keys(),
    get size() {
      return loaders.size;
    },
  };
}
