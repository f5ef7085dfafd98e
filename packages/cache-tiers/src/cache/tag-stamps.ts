import type { Clock } from '@wai/metrics-core';
import type { CacheEntry } from '../tier.js';

/**
 * Tag invalidation stamps held in memory (this instance's invalidations, those heard on the bus, and those read
 * from the tag store), bounded: the oldest-stamped tag is forgotten first.
 */
export interface TagStamps {
  remember(tag: string, at: number): void;
  /** False when one of the entry's tags was invalidated at or after the entry was written. */
  isValid(entry: CacheEntry): boolean;
  /** A stamp for a new local invalidation: now, and later than every earlier local stamp. */
  nextStamp(): number;
  /** A `createdAt` later than every local stamp, so entries written after an invalidation are valid. */
  nextCreatedAt(): number;
}

export function createTagStamps(clock: Clock, maxTags: number): TagStamps {
  const stamps = new Map<string, number>();
  let lastStamp = 0;
  // The latest stamp ever remembered: an entry written after it cannot be invalidated by any tag, so the common
  // read (nothing invalidated since the entry was written) skips the per-tag lookups. Forgetting a tag (the
  // bound) never lowers it, which only makes the shortcut rarer, never wrong.
  let newest = 0;
  const remember = (tag: string, at: number) => {
    const current = stamps.get(tag) ?? 0;
    if (at <= current) return;
    if (at > newest) newest = at;
    stamps.delete(tag);
    stamps.set(tag, at);
    if (stamps.size > maxTags) {
      const oldest = stamps.keys().next();
      if (!oldest.done) stamps.delete(oldest.value);
    }
  };
  return {
    remember,
    isValid(entry) {
      if (entry.createdAt > newest || entry.tags.length === 0) return true;
      for (const tag of entry.tags) if ((stamps.get(tag) ?? 0) >= entry.createdAt) return false;
      return true;
    },
    nextStamp() {
      lastStamp = Math.max(clock.now(), lastStamp + 1);
      return lastStamp;
    },
    nextCreatedAt: () => Math.max(clock.now(), lastStamp + 1),
  };
}
