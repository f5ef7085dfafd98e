/**
 * This process's side of "no fill after an invalidation": a counter that every invalidation this process applies
 * (its own, or one heard on the bus) advances, and the counter value of the last invalidation of each key and tag.
 * A fill (a load's result, a back-fill from a lower tier, a response, a warmed entry) takes `token()` before it
 * reads anything, and may write L1 only while `allows(token, key, tags)` holds. The shared tiers check the same
 * rule with their own versions (see `VersionedTier`); this covers L1, which no other process can see into.
 *
 * While a write is being carried to the shared tiers, its keys or tags are *held*: no fill may write L1 for them,
 * whenever it began, because what a shared tier answers in that window may still be the old value. Releasing a
 * hold marks its names, so fills begun during it are refused too. A hold ends at `release` or at its deadline
 * (the writer died or its release message was lost).
 */
export interface FillGuard {
  token(): number;
  markKey(key: string): void;
  markTag(tag: string): void;
  /** Refuses every fill begun before now (clear, a bus gap, forgotten marks). */
  markAll(): void;
  /** Holds a key (`{ key }`), a tag (`{ tag }`) or everything (`{}`) under `id` until released or `until` (monotonic ms). */
  hold(id: string, target: { key?: string; tag?: string }, until: number): void;
  release(id: string): void;
  allows(token: number, key: string, tags: readonly string[]): boolean;
}

type Target = { key?: string; tag?: string };

/**
 * Bounded: past `maxMarks` keys (and as many tags) the oldest mark is forgotten and the floor rises to it, so a
 * fill older than a forgotten mark is refused for every key — a wasted fill, never a stale one.
 */
export function createFillGuard(maxMarks: number, monotonic: () => number): FillGuard {
  let sequence = 0;
  let floor = 0;
  const keys = new Map<string, number>();
  const tags = new Map<string, number>();
  const holds = new Map<string, { target: Target; until: number }>();
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
  const markAll = () => {
    floor = ++sequence;
    keys.clear();
    tags.clear();
  };
  const markTarget = (target: Target) => {
    if (target.key !== undefined) mark(keys, target.key);
    else if (target.tag !== undefined) mark(tags, target.tag);
    else markAll();
  };
  const release = (id: string) => {
    const held = holds.get(id);
    if (!held) return;
    holds.delete(id);
    markTarget(held.target);
  };
  /** True while a live hold covers the key, one of the tags, or everything (expired holds are released here). */
  const isHeld = (key: string, entryTags: readonly string[]) => {
    const now = monotonic();
    let held = false;
    for (const [id, hold] of holds) {
      if (hold.until <= now) {
        release(id);
        continue;
      }
      const { target } = hold;
      if ((target.key === undefined && target.tag === undefined) || target.key === key || (target.tag !== undefined && entryTags.includes(target.tag))) held = true;
    }
    return held;
  };
  return {
    token: () => sequence,
    markKey: (key) => mark(keys, key),
    markTag: (tag) => mark(tags, tag),
    markAll,
    hold(id, target, until) {
      holds.set(id, { target, until });
      markTarget(target);
    },
    release,
    allows(token, key, entryTags) {
      if (holds.size > 0 && isHeld(key, entryTags)) return false;
      if (token < floor) return false;
      if (token === sequence) return true; // nothing was invalidated since the fill began
      // Marks are taken with ++sequence: a mark above the token happened after the fill began.
      if ((keys.get(key) ?? 0) > token) return false;
      for (const tag of entryTags) if ((tags.get(tag) ?? 0) > token) return false;
      return true;
    },
  };
}
