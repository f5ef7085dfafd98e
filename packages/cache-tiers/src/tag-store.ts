/**
 * Where tag invalidation timestamps live so every instance sees them (Redis when there is an L2, else L3).
 * `invalidateByTag` writes one timestamp (O(1)); reads compare an entry's `createdAt` with its tags' stamps.
 */
export interface TagInvalidationStore {
  /** Epoch ms of each tag's last invalidation (0 when never), in the order given. */
  getTagInvalidations(tags: readonly string[]): Promise<number[]>;
  /** Records `at` for the tag unless a later stamp is already stored. */
  setTagInvalidation(tag: string, at: number): Promise<void>;
}

/** True when some tag was invalidated at or after the entry was written. */
export function isInvalidatedByTags(createdAt: number, stamps: readonly number[]): boolean {
  for (const stamp of stamps) if (stamp >= createdAt) return true;
  return false;
}

/** How long tag stamps are kept (ms): longer than any entry may live, see `maxTagAge` options. @default 7 days */
export const DEFAULT_MAX_TAG_AGE_MS = 7 * 24 * 3600 * 1000;
