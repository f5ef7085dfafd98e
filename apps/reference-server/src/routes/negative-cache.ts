/**
 * A bound on cached "not found" answers. Every distinct missing id used to become a cache entry (in memory, in
 * Redis and as a row of the SQL tier) for the item TTL, so a scan over ids grew the cache without limit. This
 * keeps the most recent `max` missing keys of this instance, in order; the oldest one beyond that is deleted
 * from the cache. `max: 0` keeps none (every miss asks the database again).
 */
export interface NegativeCacheBound {
  /** Records that `key` now holds a "not found" entry; resolves once any entry over the bound was deleted. */
  noteMissing(key: string): Promise<void>;
  readonly size: number;
}

export function createNegativeCacheBound(max: number, remove: (key: string) => Promise<unknown>): NegativeCacheBound {
  const keys = new Set<string>();
  return {
    async noteMissing(key) {
      keys.delete(key);
      keys.add(key);
      const evicted: string[] = [];
      for (const oldest of keys) {
        if (keys.size - evicted.length <= max) break;
        evicted.push(oldest);
      }
      for (const key of evicted) keys.delete(key);
      await Promise.all(evicted.map((key) => remove(key).catch(() => undefined)));
    },
    get size() {
      return keys.size;
    },
  };
}
