/**
 * This process's side of "no fill after an invalidation": a counter that every invalidation this process applies
 * (its own, or one heard on the bus) advances, and the counter value of the last invalidation of each key and tag.
 * A fill (a load's result, a back-fill from a lower tier, a response, a warmed entry) takes `token()` before it
 * reads anything, and may write L1 only while `allows(token, key, tags)` holds. The shared tiers check the same
 * rule with their own versions (see `VersionedTier`); this covers L1, which no other process can see into.
 */
export interface FillGuard {
  token(): number;
  markKey(key: string): void;
  markTag(tag: string): void;
  /** Refuses every fill begun before now (clear, a bus gap, forgotten marks). */
  markAll(): void;
  allows(token: number, key: string, tags: readonly string[]): boolean;
}

/**
 * Bounded: past `maxMarks` keys (and as many tags) the oldest mark is forgotten and the floor rises to it, so a
 * fill older than a forgotten mark is refused for every key — a wasted fill, never a stale one.
 */
export function createFillGuard(maxMarks: number): FillGuard {
  let sequence = 0;
  let floor = 0;
  const keys = new Map<string, number>();
  const tags = new Map<string, number>();
  const mark = (marks: Map<string, number>, name: string) => {
    marks.delete(name);
    marks.set(name, ++sequence);
    if (marks.size > maxMarks) {
      const oldest = marks.entries().next();
      if (!oldest.done) {
        marks.delete(oldest.value[0]);
        if (oldest.value[1] > floor) floor = oldest.value[1];
      }
    }
  };
  return {
    token: () => sequence,
    markKey: (key) => mark(keys, key),
    markTag: (tag) => mark(tags, tag),
    markAll() {
      floor = ++sequence;
      keys.clear();
      tags.clear();
    },
    allows(token, key, entryTags) {
      // Marks are taken with ++sequence: a mark above the token happened after the fill began.
      if (token < floor) return false;
      if (token === sequence) return true; // nothing was invalidated since the fill began
      if ((keys.get(key) ?? 0) > token) return false;
      for (const tag of entryTags) if ((tags.get(tag) ?? 0) > token) return false;
      return true;
    },
  };
}
