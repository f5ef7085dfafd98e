/**
 * One interface every tier implements (L1 memory, L2 Redis, L3 SQL) and one conformance suite judges
 * (`@wai/cache-tiers/testing`), after unstorage's driver + `testDriver` pattern. Tiers store entries; the
 * composed cache (`createCache`) owns TTL policy, tags' invalidation timestamps, single-flight and fail-safe.
 */
export interface CacheEntry<T = unknown> {
  value: T;
  /** Epoch ms when the entry was written (tag invalidation compares against it). */
  createdAt: number;
  /** Epoch ms after which the entry is stale; `Infinity` for no expiry. */
  expiresAt: number;
  /** Epoch ms until which a stale entry may still be served by fail-safe (≥ expiresAt). */
  staleUntil: number;
  tags: readonly string[];
  /** Eviction weight hint for L1 ('medium' when absent). */
  priority?: 'low' | 'medium' | 'high';
}

export type TierName = 'l1' | 'l2' | 'l3' | (string & {});

export interface CacheTier {
  readonly name: TierName;
  /**
   * The entry, or undefined when absent or past `staleUntil` (tiers drop entries nobody may serve). Entries
   * past `expiresAt` but within `staleUntil` are returned: the caller decides whether stale is acceptable.
   */
  get(key: string): Promise<CacheEntry | undefined>;
  /** Stores the entry; tiers with native expiry expire it at `staleUntil`. */
  set(key: string, entry: CacheEntry): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Deletes every entry carrying the tag; returns how many (where the tier can tell, else -1). */
  deleteByTag(tag: string): Promise<number>;
  /** Removes everything in this tier's namespace (never other namespaces' data). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A shared tier (Redis, SQL) that versions its writes against a logical clock of its own, after the leases of
 * "Scaling Memcache at Facebook" (NSDI 2013, §3.2.1): a reader that misses takes the tier's `version()` before it
 * loads; `set`, `delete`, `invalidateTag` and `clear` advance the clock and leave their version on the key, the tag
 * or the namespace; `fill` stores the loaded entry only when none of those happened after the reader's version.
 * No wall clock of any machine is compared: versions come from the tier's one counter.
 */
export interface VersionedTier extends CacheTier {
  readonly versioned: true;
  /**
   * Ms a delete's tombstone and an entry's version outlive the entry: a fill whose version is older than this
   * (measured on the filler's own monotonic clock) must not be attempted.
   */
  readonly fillWindow: number;
  /** The tier's logical clock now. */
  version(): Promise<number>;
  /** Stores `entry` unless the key, one of its tags or the namespace changed after `since`; true when stored. */
  fill(key: string, entry: CacheEntry, since: number): Promise<boolean>;
  /** Invalidates every entry carrying `tag` in O(1): reads refuse entries older than the tag's new version. */
  invalidateTag(tag: string): Promise<void>;
}

export function isVersionedTier(tier: CacheTier): tier is VersionedTier {
  return (tier as Partial<VersionedTier>).versioned === true;
}

/** An invalidation one instance hands to the others through a shared tier (see `HandoffTier`). */
export type HandoffOperation = { op: 'delete'; key: string } | { op: 'tag'; tag: string; at: number } | { op: 'clear' };

/**
 * A shared tier that keeps invalidations for other instances to deliver (the SQL tiers). An instance that cannot
 * reach Redis hands what it could not deliver there — the Redis delete and the bus message — to this tier, which
 * every instance reads; any instance that reaches Redis takes it and delivers it. After FusionCache's backplane
 * auto-recovery, with the queue shared, so it survives the writer's shutdown or crash while cut off.
 */
export interface HandoffTier extends CacheTier {
  readonly handoff: true;
  /** Appends operations (bounded per namespace: past `maxHandoffs` they collapse into one `clear`). */
  handOff(operations: readonly HandoffOperation[]): Promise<void>;
  /** Removes and returns up to `limit` operations, oldest first (each one is taken by one instance). */
  takeHandoffs(limit: number): Promise<HandoffOperation[]>;
}

export function isHandoffTier(tier: CacheTier): tier is HandoffTier {
  return (tier as Partial<HandoffTier>).handoff === true;
}

/** Past this many queued handoffs per namespace, the queue collapses into one `clear` (misses, never stale reads). */
export const MAX_HANDOFFS = 10_000;

/** L1's extra synchronous surface: the hot path must not pay for a Promise on a memory hit. */
export interface SyncCacheTier extends CacheTier {
  /**
   * `now` (epoch ms), when given, is the caller's reading of the clock, so the hot path reads it once (a clock
   * read costs about as much as the lookup itself on a loaded VM). Tiers may ignore it and read their own.
   */
  getSync(key: string, now?: number): CacheEntry | undefined;
  setSync(key: string, entry: CacheEntry): void;
  /**
   * With `expected`, deletes only when the entry held is the one written from `expected` (a tier may return a
   * copy from `getSync`, so callers cannot compare by identity); a tier may ignore `expected` and delete anyway
   * (for a cache, dropping an entry is always safe).
   */
  deleteSync(key: string, expected?: CacheEntry): boolean;
  readonly size: number;
  /** Bytes held, as estimated once per entry at set time. */
  readonly memoryBytes: number;
}
