import { ConfigError, ValidationError, systemClock, type Clock, type TimerHandle } from '@wai/metrics-core';
import { createFrequencySketch, hashKey, type FrequencySketch } from '../admission/frequency-sketch.js';
import type { CacheEntry, SyncCacheTier, TierName } from '../tier.js';
import { estimateStringBytes, estimateValueBytes } from './estimate-size.js';

/** Why L1 dropped an entry on its own (explicit deletes, tag deletes and `clear` are not evictions). */
export type EvictionReason = 'capacity' | 'memory' | 'expired' | 'admission';

export interface MemoryTierOptions {
  /** @default 'l1' */
  name?: TierName;
  /**
   * Maximum number of entries.
   * @default 1000
   */
  maxSize?: number;
  /**
   * Maximum estimated bytes held (see `estimate-size.ts` for the estimate, made once per entry at set time).
   * An entry larger than this on its own is not stored.
   * @default 67_108_864 (64 MiB)
   */
  maxMemory?: number;
  /**
   * TinyLFU admission: an entry leaving the small LRU window enters the main segment only when the frequency
   * sketch says it is used more often than the entry it would evict, so one-hit scans cannot flush hot keys.
   * The main segment is then a segmented LRU (probation → protected on a second hit). With `false` the tier is
   * a plain LRU (window + one list).
   *
   * Off by default, measured (bench/cache-tiers.bench.ts, capacity 1,000): admission wins +9.6 points over
   * LRU on Zipf(0.9) and +5.8 with one-hit scans mixed in, but loses 10–13 points to LRU on recency-heavy
   * traces (a sliding working set, the LRU stack-distance model) — more than the 1 point a default may lose. Turn it on
   * for skewed, scan-prone workloads (catalogue pages, crawlers).
   * @default false
   */
  admission?: boolean;
  /**
   * Share of `maxSize` (and of `maxMemory`) given to the LRU admission window (W-TinyLFU's window).
   * @default 0.01
   */
  windowRatio?: number;
  /**
   * Fraction 0..1 of each entry's TTL by which L1 may expire it early, chosen at random per entry, so copies
   * written at the same moment on many instances do not all go stale together. `staleUntil` is not moved.
   * @default 0
   */
  ttlJitter?: number;
  /**
   * Deep-freeze stored values (`Object.freeze`), so a caller mutating a value read from L1 throws in strict
   * mode instead of silently changing what every later reader sees.
   * @default false
   */
  freeze?: boolean;
  /** Called after L1 dropped an entry on its own. Must not throw (errors are swallowed). */
  onEvict?: (key: string, reason: EvictionReason, entry: CacheEntry) => void;
  /**
   * Interval in ms of a sweep that drops entries past `staleUntil` (reads drop them lazily as well); 0 disables.
   * @default 60_000
   */
  purgeIntervalMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Random source for `ttlJitter`, 0 ≤ x < 1. @default Math.random */
  random?: () => number;
}

/** L1 with its extra introspection. */
export interface MemoryTier extends SyncCacheTier {
  readonly maxSize: number;
  readonly maxMemory: number;
  /** Entries dropped on L1's own initiative since creation (see `EvictionReason`). */
  readonly evictions: number;
  /** The entry without counting an access or moving it (for refresh-ahead and analytics). */
  peekSync(key: string): CacheEntry | undefined;
  /** Keys currently held (including entries past `staleUntil` not yet swept). */
  keys(): IterableIterator<string>;
  /** Drops every entry past `staleUntil`; returns how many. */
  purgeExpired(): number;
}

const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
const DETACHED = 3;

interface Node {
  readonly key: string;
  entry: CacheEntry;
  bytes: number;
  readonly hash: number;
  segment: number;
  secondChance: boolean;
  /** Links in the probation or protected list (towards the older / the newer end). */
  older: Node | undefined;
  newer: Node | undefined;
}

/**
 * An intrusive doubly-linked LRU list: O(1) for every operation. (A `Map` used as a queue is not: V8 leaves
 * deleted entries as holes that `values().next()` walks over until the table is rehashed.)
 */
class LruList {
  oldest: Node | undefined = undefined;
  newest: Node | undefined = undefined;
  size = 0;

  push(node: Node): void {
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest === undefined) this.oldest = node;
    else this.newest.newer = node;
    this.newest = node;
    this.size++;
  }

  unlink(node: Node): void {
    if (node.older === undefined) this.oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.newest = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
    this.size--;
  }

  moveToNewest(node: Node): void {
    if (this.newest === node) return;
    this.unlink(node);
    this.push(node);
  }

  clear(): void {
    this.oldest = undefined;
    this.newest = undefined;
    this.size = 0;
  }
}

/**
 * Fixed per-entry overhead in bytes: the node object (6 slots), the CacheEntry object (7 slots) and its three
 * epoch-ms HeapNumbers, the index Map's and segment Map's hash-table entries (3 slots each at load factor 2),
 * and the two list links.
 */
const ENTRY_OVERHEAD = 352;

const PRIORITY_WEIGHT = { low: 0.5, medium: 1, high: 2 } as const;

/** Bounded victim rotation: a 'high' entry gets one second chance, but eviction never scans far. */
const MAX_SECOND_CHANCES = 8;

/**
 * L1: a W-TinyLFU memory tier (Einziger, Friedman, Manes, "TinyLFU", ACM TOS 2017): new entries enter a small
 * LRU window, and an entry the window pushes out competes with the main segment's victim on
 * sketched frequency (weighted by `priority`). The main segment is a segmented LRU (probation → protected on
 * the second hit; Karedla et al., IEEE Computer 1994). Bounded by entry count and by estimated bytes.
 *
 * Values are stored by reference: L1 neither clones nor (unless `freeze: true`) freezes them. `getSync` and
 * `setSync` allocate no Promise; the async methods wrap them for the `CacheTier` interface.
 */
export function createMemoryTier(options: MemoryTierOptions = {}): MemoryTier {
  const name = options.name ?? 'l1';
  const maxSize = options.maxSize ?? 1000;
  const maxMemory = options.maxMemory ?? 64 * 1024 * 1024;
  const admission = options.admission ?? false;
  const windowRatio = options.windowRatio ?? 0.01;
  const ttlJitter = options.ttlJitter ?? 0;
  const freeze = options.freeze ?? false;
  const purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const onEvict = options.onEvict;

  if (!Number.isInteger(maxSize) || maxSize < 1) throw new ConfigError(`[wai:cache-tiers] L1 \`maxSize\` must be an integer >= 1, got ${String(maxSize)}`);
  if (!(maxMemory > 0) || Number.isNaN(maxMemory)) throw new ConfigError(`[wai:cache-tiers] L1 \`maxMemory\` must be a number of bytes > 0, got ${String(maxMemory)}`);
  if (!(windowRatio > 0 && windowRatio < 1)) throw new ConfigError(`[wai:cache-tiers] L1 \`windowRatio\` must be between 0 and 1 (exclusive), got ${String(windowRatio)}`);
  if (!(ttlJitter >= 0 && ttlJitter < 1)) throw new ConfigError(`[wai:cache-tiers] L1 \`ttlJitter\` must be in [0, 1), got ${String(ttlJitter)}`);
  if (!(purgeIntervalMs >= 0) || !Number.isFinite(purgeIntervalMs)) throw new ConfigError(`[wai:cache-tiers] L1 \`purgeIntervalMs\` must be a finite number >= 0, got ${String(purgeIntervalMs)}`);

  const windowCapacity = Math.max(1, Math.round(maxSize * windowRatio));
  const mainCapacity = Math.max(1, maxSize - windowCapacity);
  const protectedCapacity = Math.max(1, Math.floor(mainCapacity * 0.8));
  const sketch: FrequencySketch | undefined = admission ? createFrequencySketch({ capacity: maxSize }) : undefined;

  const index = new Map<string, Node>();
  const probation = new LruList();
  const protectedSegment = new LruList();
  const tagIndex = new Map<string, Set<string>>();
  let memoryBytes = 0;
  let evictions = 0;

  // The window is bounded by entries and by bytes (its share of maxMemory, as Caffeine weighs its window), so
  // a bytes-bound cache keeps a small window too. (quick-lru, generational, cannot pop its single oldest
  // entry in O(1) nor weigh entries: measured, the byte bound spent most of its time in its iteration.)
  const window = new LruList();
  let windowBytes = 0;
  const windowMaxBytes = Number.isFinite(maxMemory) ? Math.max(1, maxMemory * windowRatio) : Infinity;

  const overBounds = (): boolean => index.size > maxSize || memoryBytes > maxMemory;

  const notify = (key: string, entry: CacheEntry, reason: EvictionReason): void => {
    evictions++;
    if (onEvict === undefined) return;
    try {
      onEvict(key, reason, entry);
    } catch {
      // An observer must not break the cache.
    }
  };

  const untag = (node: Node): void => {
    for (const tag of node.entry.tags) {
      const keys = tagIndex.get(tag);
      if (keys === undefined) continue;
      keys.delete(node.key);
      if (keys.size === 0) tagIndex.delete(tag);
    }
  };

  const tag = (node: Node): void => {
    for (const tagName of node.entry.tags) {
      let keys = tagIndex.get(tagName);
      if (keys === undefined) tagIndex.set(tagName, (keys = new Set()));
      keys.add(node.key);
    }
  };

  const remove = (node: Node, reason: EvictionReason | undefined): void => {
    if (index.get(node.key) === node) index.delete(node.key);
    if (node.segment === WINDOW) {
      window.unlink(node);
      windowBytes -= node.bytes;
    } else if (node.segment === PROBATION) {
      probation.unlink(node);
    } else if (node.segment === PROTECTED) {
      protectedSegment.unlink(node);
    }
    node.segment = DETACHED;
    memoryBytes -= node.bytes;
    untag(node);
    if (reason !== undefined) notify(node.key, node.entry, reason);
  };

  /** The main segment's eviction candidate; a 'high' entry is rotated to the back once before it can go. */
  const pickVictim = (): Node | undefined => {
    for (let attempt = 0; attempt < MAX_SECOND_CHANCES; attempt++) {
      const segment = probation.size > 0 ? probation : protectedSegment;
      const node = segment.oldest;
      if (node === undefined) break;
      if (node.entry.priority !== 'high' || node.secondChance) return node;
      node.secondChance = true;
      segment.moveToNewest(node);
    }
    const fallback = probation.oldest ?? protectedSegment.oldest;
    if (fallback !== undefined) return fallback;
    return window.oldest;
  };

  const weight = (node: Node): number => PRIORITY_WEIGHT[node.entry.priority ?? 'medium'];

  /** Moves the window's oldest entries out (into the main segment, or out of the cache) while it is over its share. */
  const shrinkWindow = (): void => {
    while (window.size > windowCapacity || (windowBytes > windowMaxBytes && window.size > 1)) {
      const candidate = window.oldest;
      if (candidate === undefined) return;
      window.unlink(candidate);
      windowBytes -= candidate.bytes;
      candidate.segment = DETACHED;
      admitToMain(candidate);
    }
  };

  function admitToMain(node: Node): void {
    // The main segment is full when it holds its share (maxSize minus the window) or the bytes bound is hit:
    // then the candidate must displace a victim, and TinyLFU decides which of the two stays.
    const mainFull = probation.size + protectedSegment.size >= mainCapacity || memoryBytes > maxMemory;
    if (mainFull && sketch !== undefined) {
      const victim = pickVictim();
      if (victim !== undefined && victim !== node) {
        // Ties admit the newcomer: a recency-heavy trace then behaves like LRU among equally cold keys
        // (measured in bench/cache-tiers.bench.ts), while a hot victim (higher count) still beats a one-hit scan key.
        const admit = sketch.frequency(node.hash) * weight(node) >= sketch.frequency(victim.hash) * weight(victim);
        if (!admit) {
          remove(node, 'admission');
          return;
        }
        remove(victim, index.size > maxSize ? 'capacity' : 'memory');
      }
    }
    node.segment = PROBATION;
    probation.push(node);
  }

  const enforceBounds = (): void => {
    while (overBounds()) {
      const victim = pickVictim();
      if (victim === undefined) break;
      remove(victim, index.size > maxSize ? 'capacity' : 'memory');
    }
  };

  const touch = (node: Node): void => {
    if (node.segment === WINDOW) {
      window.moveToNewest(node);
    } else if (node.segment === PROBATION && sketch === undefined) {
      // Without admission the main segment is one plain LRU list (no protected segment), so the tier as a
      // whole behaves like LRU: the baseline the admission default is measured against.
      probation.moveToNewest(node);
    } else if (node.segment === PROBATION) {
      probation.unlink(node);
      protectedSegment.push(node);
      node.segment = PROTECTED;
      if (protectedSegment.size > protectedCapacity) {
        const demoted = protectedSegment.oldest;
        if (demoted !== undefined) {
          protectedSegment.unlink(demoted);
          demoted.segment = PROBATION;
          probation.push(demoted);
        }
      }
    } else {
      protectedSegment.moveToNewest(node);
    }
  };

  const getSync = (key: string, now?: number): CacheEntry | undefined => {
    const node = index.get(key);
    if (node === undefined) {
      if (sketch !== undefined && typeof key === 'string') {
        sketch.increment(hashKey(key));
      }
      return undefined;
    }
    const entry = node.entry;
    if (entry.staleUntil !== Infinity && entry.staleUntil <= (now ?? clock.now())) {
      remove(node, 'expired');
      return undefined;
    }
    if (sketch !== undefined) sketch.increment(node.hash);
    touch(node);
    return entry;
  };

  const setSync = (key: string, entry: CacheEntry): void => {
    if (typeof key !== 'string' || key.length === 0) throw new ValidationError('E_INVALID_KEY', '[wai:cache-tiers] L1 keys must be non-empty strings');
    if (entry === null || typeof entry !== 'object' || typeof entry.expiresAt !== 'number' || typeof entry.staleUntil !== 'number' || !Array.isArray(entry.tags)) {
      throw new ValidationError('E_INVALID_ARGUMENT', '[wai:cache-tiers] L1 setSync needs a CacheEntry { value, createdAt, expiresAt, staleUntil, tags }');
    }
    const existing = index.get(key);
    if (entry.staleUntil <= clock.now()) {
      if (existing !== undefined) remove(existing, undefined);
      return;
    }
    let stored = entry;
    if (ttlJitter > 0 && Number.isFinite(entry.expiresAt) && entry.expiresAt > entry.createdAt) {
      stored = { ...entry, expiresAt: entry.expiresAt - random() * ttlJitter * (entry.expiresAt - entry.createdAt) };
    }
    if (freeze) deepFreeze(stored.value);
    let bytes = ENTRY_OVERHEAD + estimateStringBytes(key) + estimateValueBytes(stored.value);
    if (stored.tags.length > 0) {
      bytes += 48 + 8 * stored.tags.length;
      // A tag also costs an entry in the tag index's Set (about 3 slots).
      for (const tagName of stored.tags) bytes += 24 + (estimateStringBytes(tagName) >> 1);
    }
    if (bytes > maxMemory) {
      if (existing !== undefined) remove(existing, undefined);
      notify(key, stored, 'memory');
      return;
    }
    if (existing !== undefined) {
      untag(existing);
      memoryBytes += bytes - existing.bytes;
      if (existing.segment === WINDOW) windowBytes += bytes - existing.bytes;
      existing.entry = stored;
      existing.bytes = bytes;
      existing.secondChance = false;
      tag(existing);
      touch(existing);
      enforceBounds();
      return;
    }
    const node: Node = { key, entry: stored, bytes, hash: hashKey(key), segment: WINDOW, secondChance: false, older: undefined, newer: undefined };
    index.set(key, node);
    memoryBytes += bytes;
    tag(node);
    window.push(node);
    windowBytes += bytes;
    shrinkWindow();
    enforceBounds();
  };

  const deleteSync = (key: string): boolean => {
    const node = index.get(key);
    if (node === undefined) return false;
    const live = node.entry.staleUntil > clock.now();
    remove(node, undefined);
    return live;
  };

  const purgeExpired = (): number => {
    const now = clock.now();
    let purged = 0;
    for (const node of [...index.values()]) {
      if (node.entry.staleUntil <= now) {
        remove(node, 'expired');
        purged++;
      }
    }
    return purged;
  };

  const clearSync = (): void => {
    index.clear();
    window.clear();
    windowBytes = 0;
    probation.clear();
    protectedSegment.clear();
    tagIndex.clear();
    memoryBytes = 0;
  };

  let purgeTimer: TimerHandle | undefined = purgeIntervalMs > 0 ? clock.setInterval(purgeExpired, purgeIntervalMs) : undefined;

  const attempt = <T>(operation: () => T): Promise<T> => {
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(error);
    }
  };

  return {
    name,
    maxSize,
    maxMemory,
    get size() {
      return index.size;
    },
    get memoryBytes() {
      return memoryBytes;
    },
    get evictions() {
      return evictions;
    },
    getSync,
    setSync,
    deleteSync,
    peekSync(key) {
      const node = index.get(key);
      if (node === undefined || node.entry.staleUntil <= clock.now()) return undefined;
      return node.entry;
    },
    keys: () => index.keys(),
    purgeExpired,
    get: (key) => attempt(() => getSync(key)),
    set: (key, entry) => attempt(() => setSync(key, entry)),
    delete: (key) => attempt(() => deleteSync(key)),
    deleteByTag: (tagName) =>
      attempt(() => {
        const keys = tagIndex.get(tagName);
        if (keys === undefined) return 0;
        let deleted = 0;
        for (const key of [...keys]) {
          const node = index.get(key);
          if (node === undefined) continue;
          remove(node, undefined);
          deleted++;
        }
        return deleted;
      }),
    clear: () => attempt(clearSync),
    close: () =>
      attempt(() => {
        purgeTimer?.cancel();
        purgeTimer = undefined;
        clearSync();
      }),
  };
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || ArrayBuffer.isView(value)) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}
