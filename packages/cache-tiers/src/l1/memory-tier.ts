import { ConfigError, ValidationError, systemClock, type Clock, type TimerHandle } from '@wai/metrics-core';
import { createFrequencySketch, hashKey, type FrequencySketch } from '../admission/frequency-sketch.js';
import { createCoarseNow } from '../cache/coarse-now.js';
import type { CacheEntry, TierName } from '../tier.js';
import { estimateStringBytes, estimateValueBytes } from './estimate-size.js';
import type { EvictionReason, MemoryTier, MemoryTierOptions } from './memory-tier-options.js';
import { SlotList } from './slot-list.js';
import { MAX_ENTRY_BYTES, NO_TAGS, NONE, PRIORITY_SHIFT, SECOND_CHANCE, SEGMENT_MASK, SlotStore } from './slot-store.js';
import { TagIndex } from './tag-index.js';

export type { EvictionReason, MemoryTier, MemoryTierOptions } from './memory-tier-options.js';

const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
const DETACHED = 3;

/**
 * Fixed per-entry bytes beside the key and the value: the key Map's entry (3 slots, plus its share of the bucket
 * array: 28–56 bytes as the table fills), the key, value and tags pointer slots (24) and the typed-array
 * columns (40; 44 with admission). Checked against the measured heap by bench row "L1 memory per entry".
 */
const ENTRY_OVERHEAD = 104;

type Priority = NonNullable<CacheEntry['priority']>;
/** `meta` priority codes: 0 = absent (weighs as 'medium'). */
const PRIORITY_CODE: Record<Priority, number> = { low: 1, medium: 2, high: 3 };
const PRIORITY_NAME: ReadonlyArray<Priority | undefined> = [undefined, 'low', 'medium', 'high'];
const PRIORITY_WEIGHT = [1, 0.5, 1, 2];

/**
 * Lines of the read memo: the `CacheEntry` last built for a slot is handed out again until that slot is
 * written or dropped, so hot keys cost no allocation per hit (without it the L1-hit getOrSet of bench row 1
 * lost about half its speed in some runs). Direct-mapped by slot; at most 128 entry objects (~14 KB) per tier.
 */
const RECENT_LINES = 128;

/** Bounded victim rotation: a 'high' entry gets one second chance, but eviction never scans far. */
const MAX_SECOND_CHANCES = 8;

/**
 * L1: a W-TinyLFU memory tier (Einziger, Friedman, Manes, "TinyLFU", ACM TOS 2017): new entries enter a small
 * LRU window, and an entry the window pushes out competes with the main segment's victim on
 * sketched frequency (weighted by `priority`). The main segment is a segmented LRU (probation → protected on
 * the second hit; Karedla et al., IEEE Computer 1994). Bounded by entry count and by estimated bytes.
 *
 * Entries are kept as columns of a `SlotStore` (see there), not as the `CacheEntry` objects written: a read
 * returns a `CacheEntry` built from the columns (reused for repeated reads of a hot slot, see RECENT_LINES), so
 * holding 10^6 entries costs about what lru-cache costs. Entries read are shared: treat them as read-only. Values are stored by reference: L1 neither clones nor (unless `freeze: true`) freezes them.
 */
export function createMemoryTier(options: MemoryTierOptions = {}): MemoryTier {
  const maxSize = options.maxSize ?? 1000;
  const maxMemory = options.maxMemory ?? 64 * 1024 * 1024;
  const windowRatio = options.windowRatio ?? 0.01;
  const ttlJitter = options.ttlJitter ?? 0;
  const purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new ConfigError(`[wai:cache-tiers] L1 \`maxSize\` must be an integer >= 1, got ${String(maxSize)}`);
  if (!(maxMemory > 0) || Number.isNaN(maxMemory)) throw new ConfigError(`[wai:cache-tiers] L1 \`maxMemory\` must be a number of bytes > 0, got ${String(maxMemory)}`);
  if (!(windowRatio > 0 && windowRatio < 1)) throw new ConfigError(`[wai:cache-tiers] L1 \`windowRatio\` must be between 0 and 1 (exclusive), got ${String(windowRatio)}`);
  if (!(ttlJitter >= 0 && ttlJitter < 1)) throw new ConfigError(`[wai:cache-tiers] L1 \`ttlJitter\` must be in [0, 1), got ${String(ttlJitter)}`);
  if (!(purgeIntervalMs >= 0) || !Number.isFinite(purgeIntervalMs)) throw new ConfigError(`[wai:cache-tiers] L1 \`purgeIntervalMs\` must be a finite number >= 0, got ${String(purgeIntervalMs)}`);
  return new SlotMemoryTier(options, maxSize, maxMemory, windowRatio, ttlJitter, purgeIntervalMs);
}

class SlotMemoryTier implements MemoryTier {
  readonly name: TierName;
  private evictionCount = 0;
  private heldBytes = 0;
  private readonly keyMap = new Map<string, number>();
  private readonly store: SlotStore;
  private readonly window: SlotList;
  private readonly probation: SlotList;
  private readonly protectedSegment: SlotList;
  private readonly tagIndex = new TagIndex();
  private readonly sketch: FrequencySketch | undefined;
  private readonly clock: Clock;
  /** The expiry check's clock when the caller gives no reading: lru-cache's `ttlResolution` (1 ms). */
  private readonly coarseNow: () => number;
  private readonly random: () => number;
  private readonly freeze: boolean;
  private readonly onEvict: MemoryTierOptions['onEvict'];
  private readonly windowCapacity: number;
  private readonly mainCapacity: number;
  private readonly protectedCapacity: number;
  // The window is bounded by entries and by bytes (its share of maxMemory, as Caffeine weighs its window), so
  // a bytes-bound cache keeps a small window too.
  private readonly windowMaxBytes: number;
  private windowBytes = 0;
  private readonly recentSlots = new Int32Array(RECENT_LINES).fill(NONE);
  private readonly recentEntries = new Array<CacheEntry | undefined>(RECENT_LINES).fill(undefined);
  private purgeTimer: TimerHandle | undefined;

  constructor(
    options: MemoryTierOptions,
    readonly maxSize: number,
    readonly maxMemory: number,
    windowRatio: number,
    private readonly ttlJitter: number,
    purgeIntervalMs: number,
  ) {
    this.name = options.name ?? 'l1';
    this.clock = options.clock ?? systemClock;
    this.coarseNow = createCoarseNow(this.clock, 1);
    this.random = options.random ?? Math.random;
    this.freeze = options.freeze ?? false;
    this.onEvict = options.onEvict;
    this.sketch = options.admission ? createFrequencySketch({ capacity: maxSize }) : undefined;
    // One slot more than maxSize: a new entry takes its slot before the bounds pick a victim.
    this.store = new SlotStore(Math.min(maxSize + 1, 0x7fff_ffff), this.sketch !== undefined);
    this.window = new SlotList(this.store);
    this.probation = new SlotList(this.store);
    this.protectedSegment = new SlotList(this.store);
    this.windowCapacity = Math.max(1, Math.round(maxSize * windowRatio));
    this.mainCapacity = Math.max(1, maxSize - this.windowCapacity);
    this.protectedCapacity = Math.max(1, Math.floor(this.mainCapacity * 0.8));
    this.windowMaxBytes = Number.isFinite(maxMemory) ? Math.max(1, maxMemory * windowRatio) : Infinity;
    this.purgeTimer = purgeIntervalMs > 0 ? this.clock.setInterval(() => this.purgeExpired(), purgeIntervalMs) : undefined;
  }

  get size(): number {
    return this.keyMap.size;
  }

  get memoryBytes(): number {
    return this.heldBytes;
  }

  get evictions(): number {
    return this.evictionCount;
  }

  getSync(key: string, now?: number): CacheEntry | undefined {
    const slot = this.keyMap.get(key);
    if (slot === undefined) {
      if (this.sketch !== undefined && typeof key === 'string') this.sketch.increment(hashKey(key));
      return undefined;
    }
    const staleUntil = this.store.staleUntil(slot);
    if (staleUntil !== Infinity && staleUntil <= (now ?? this.coarseNow())) {
      this.remove(slot, 'expired');
      return undefined;
    }
    if (this.sketch !== undefined) this.sketch.increment(this.store.hash(slot));
    this.touch(slot);
    return this.entryAt(slot);
  }

  peekSync(key: string): CacheEntry | undefined {
    const slot = this.keyMap.get(key);
    if (slot === undefined || this.store.staleUntil(slot) <= this.clock.now()) return undefined;
    return this.entryAt(slot);
  }

  setSync(key: string, entry: CacheEntry): void {
    if (typeof key !== 'string' || key.length === 0) throw new ValidationError('E_INVALID_KEY', '[wai:cache-tiers] L1 keys must be non-empty strings');
    if (entry === null || typeof entry !== 'object' || typeof entry.expiresAt !== 'number' || typeof entry.staleUntil !== 'number' || !Array.isArray(entry.tags)) {
      throw new ValidationError('E_INVALID_ARGUMENT', '[wai:cache-tiers] L1 setSync needs a CacheEntry { value, createdAt, expiresAt, staleUntil, tags }');
    }
    if (entry.priority !== undefined && priorityBits(entry.priority) === 0) {
      throw new ValidationError('E_INVALID_ARGUMENT', `[wai:cache-tiers] L1 entry priority must be 'low', 'medium' or 'high', got ${String(entry.priority)}`);
    }
    const existing = this.keyMap.get(key);
    if (entry.staleUntil <= this.clock.now()) {
      if (existing !== undefined) this.remove(existing, undefined);
      return;
    }
    let expiresAt = entry.expiresAt;
    if (this.ttlJitter > 0 && Number.isFinite(expiresAt) && expiresAt > entry.createdAt) {
      expiresAt -= this.random() * this.ttlJitter * (expiresAt - entry.createdAt);
    }
    if (this.freeze) deepFreeze(entry.value);
    const tags = entry.tags.length === 0 ? NO_TAGS : entry.tags;
    const bytes = Math.min(MAX_ENTRY_BYTES, ENTRY_OVERHEAD + estimateStringBytes(key) + estimateValueBytes(entry.value) + TagIndex.estimateBytes(tags));
    if (bytes > this.maxMemory) {
      if (existing !== undefined) this.remove(existing, undefined);
      this.notify(key, { ...entry, expiresAt }, 'memory');
      return;
    }
    const store = this.store;
    if (existing !== undefined) {
      this.forgetRead(existing);
      this.tagIndex.remove(key, store.tags(existing));
      const delta = bytes - store.bytes(existing);
      this.heldBytes += delta;
      const segment = store.meta(existing) & SEGMENT_MASK;
      if (segment === WINDOW) this.windowBytes += delta;
      store.write(existing, key, entry.value, tags, entry.createdAt, expiresAt, entry.staleUntil, bytes, store.hash(existing));
      store.setMeta(existing, segment | priorityBits(entry.priority));
      this.tagIndex.add(key, tags);
      this.touch(existing);
      this.enforceBounds();
      return;
    }
    const slot = store.allocate();
    this.keyMap.set(key, slot);
    store.write(slot, key, entry.value, tags, entry.createdAt, expiresAt, entry.staleUntil, bytes, this.sketch === undefined ? 0 : hashKey(key));
    store.setMeta(slot, WINDOW | priorityBits(entry.priority));
    this.heldBytes += bytes;
    this.tagIndex.add(key, tags);
    this.window.push(slot);
    this.windowBytes += bytes;
    this.shrinkWindow();
    this.enforceBounds();
  }

  /**
   * With `expected`, deletes only when the entry held was written from it (same value reference, `createdAt`
   * and `staleUntil`): reads return copies, so identity cannot tell a refused fill's copy from a newer write.
   */
  deleteSync(key: string, expected?: CacheEntry): boolean {
    const slot = this.keyMap.get(key);
    if (slot === undefined) return false;
    const store = this.store;
    if (expected !== undefined && !(store.value(slot) === expected.value && store.createdAt(slot) === expected.createdAt && store.staleUntil(slot) === expected.staleUntil)) {
      return false;
    }
    const live = store.staleUntil(slot) > this.clock.now();
    this.remove(slot, undefined);
    return live;
  }

  keys(): IterableIterator<string> {
    return this.keyMap.keys();
  }

  purgeExpired(): number {
    const now = this.clock.now();
    const store = this.store;
    let purged = 0;
    // Removing only releases slots (never moves one), so a walk over the slot range sees every entry once.
    for (let slot = 0; slot < store.highWater; slot++) {
      if (store.isLive(slot) && store.staleUntil(slot) <= now) {
        this.remove(slot, 'expired');
        purged++;
      }
    }
    return purged;
  }

  get(key: string): Promise<CacheEntry | undefined> {
    try {
      return Promise.resolve(this.getSync(key));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  set(key: string, entry: CacheEntry): Promise<void> {
    try {
      this.setSync(key, entry);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.deleteSync(key));
  }

  deleteByTag(tag: string): Promise<number> {
    let deleted = 0;
    for (const key of this.tagIndex.keysOf(tag)) {
      const slot = this.keyMap.get(key);
      if (slot === undefined) continue;
      this.remove(slot, undefined);
      deleted++;
    }
    return Promise.resolve(deleted);
  }

  clear(): Promise<void> {
    this.clearSync();
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.purgeTimer?.cancel();
    this.purgeTimer = undefined;
    this.clearSync();
    return Promise.resolve();
  }

  private clearSync(): void {
    this.keyMap.clear();
    this.store.clear();
    this.window.clear();
    this.probation.clear();
    this.protectedSegment.clear();
    this.tagIndex.clear();
    this.recentSlots.fill(NONE);
    this.recentEntries.fill(undefined);
    this.windowBytes = 0;
    this.heldBytes = 0;
  }

  /** The slot's `CacheEntry`: the one built by an earlier read of the same write, else a new one. */
  private entryAt(slot: number): CacheEntry {
    const line = slot & (RECENT_LINES - 1);
    if (this.recentSlots[line] === slot) return this.recentEntries[line]!;
    const entry = this.buildEntry(slot);
    this.recentSlots[line] = slot;
    this.recentEntries[line] = entry;
    return entry;
  }

  private forgetRead(slot: number): void {
    const line = slot & (RECENT_LINES - 1);
    if (this.recentSlots[line] !== slot) return;
    this.recentSlots[line] = NONE;
    this.recentEntries[line] = undefined;
  }

  /** A new `CacheEntry` for the slot (two literals, so V8 sees at most two shapes). */
  private buildEntry(slot: number): CacheEntry {
    const store = this.store;
    const priority = PRIORITY_NAME[store.meta(slot) >> PRIORITY_SHIFT];
    const value = store.value(slot);
    const createdAt = store.createdAt(slot);
    const expiresAt = store.expiresAt(slot);
    const staleUntil = store.staleUntil(slot);
    const tags = store.tags(slot);
    if (priority === undefined) return { value, createdAt, expiresAt, staleUntil, tags };
    return { value, createdAt, expiresAt, staleUntil, tags, priority };
  }

  private notify(key: string, entry: CacheEntry | undefined, reason: EvictionReason): void {
    this.evictionCount++;
    if (this.onEvict === undefined || entry === undefined) return;
    try {
      this.onEvict(key, reason, entry);
    } catch {
      // An observer must not break the cache.
    }
  }

  private remove(slot: number, reason: EvictionReason | undefined): void {
    const store = this.store;
    const key = store.key(slot);
    const bytes = store.bytes(slot);
    this.keyMap.delete(key);
    const segment = store.meta(slot) & SEGMENT_MASK;
    if (segment === WINDOW) {
      this.window.unlink(slot);
      this.windowBytes -= bytes;
    } else if (segment === PROBATION) {
      this.probation.unlink(slot);
    } else if (segment === PROTECTED) {
      this.protectedSegment.unlink(slot);
    }
    this.heldBytes -= bytes;
    this.tagIndex.remove(key, store.tags(slot));
    const evicted = reason !== undefined && this.onEvict !== undefined ? this.entryAt(slot) : undefined;
    this.forgetRead(slot);
    store.release(slot);
    if (reason !== undefined) this.notify(key, evicted, reason);
  }

  private setSegment(slot: number, segment: number): void {
    this.store.setMeta(slot, (this.store.meta(slot) & ~SEGMENT_MASK) | segment);
  }

  private weight(slot: number): number {
    return PRIORITY_WEIGHT[this.store.meta(slot) >> PRIORITY_SHIFT]!;
  }

  /** The main segment's eviction candidate; a 'high' entry is rotated to the back once before it can go. */
  private pickVictim(): number {
    const store = this.store;
    for (let attempt = 0; attempt < MAX_SECOND_CHANCES; attempt++) {
      const segment = this.probation.size > 0 ? this.probation : this.protectedSegment;
      const slot = segment.oldest;
      if (slot === NONE) break;
      const meta = store.meta(slot);
      if (meta >> PRIORITY_SHIFT !== PRIORITY_CODE.high || (meta & SECOND_CHANCE) !== 0) return slot;
      store.setMeta(slot, meta | SECOND_CHANCE);
      segment.moveToNewest(slot);
    }
    if (this.probation.oldest !== NONE) return this.probation.oldest;
    if (this.protectedSegment.oldest !== NONE) return this.protectedSegment.oldest;
    return this.window.oldest;
  }

  /** Moves the window's oldest entries out (into the main segment, or out of the cache) while it is over its share. */
  private shrinkWindow(): void {
    while (this.window.size > this.windowCapacity || (this.windowBytes > this.windowMaxBytes && this.window.size > 1)) {
      const candidate = this.window.oldest;
      if (candidate === NONE) return;
      this.window.unlink(candidate);
      this.windowBytes -= this.store.bytes(candidate);
      this.setSegment(candidate, DETACHED);
      this.admitToMain(candidate);
    }
  }

  private admitToMain(slot: number): void {
    // The main segment is full when it holds its share (maxSize minus the window) or the bytes bound is hit:
    // then the candidate must displace a victim, and TinyLFU decides which of the two stays.
    const mainFull = this.probation.size + this.protectedSegment.size >= this.mainCapacity || this.heldBytes > this.maxMemory;
    if (mainFull && this.sketch !== undefined) {
      const victim = this.pickVictim();
      if (victim !== NONE && victim !== slot) {
        // Ties admit the newcomer: a recency-heavy trace then behaves like LRU among equally cold keys
        // (measured in bench/cache-tiers.bench.ts), while a hot victim (higher count) still beats a one-hit scan key.
        const admit = this.sketch.frequency(this.store.hash(slot)) * this.weight(slot) >= this.sketch.frequency(this.store.hash(victim)) * this.weight(victim);
        if (!admit) {
          this.remove(slot, 'admission');
          return;
        }
        this.remove(victim, this.keyMap.size > this.maxSize ? 'capacity' : 'memory');
      }
    }
    this.setSegment(slot, PROBATION);
    this.probation.push(slot);
  }

  private enforceBounds(): void {
    while (this.keyMap.size > this.maxSize || this.heldBytes > this.maxMemory) {
      const victim = this.pickVictim();
      if (victim === NONE) break;
      this.remove(victim, this.keyMap.size > this.maxSize ? 'capacity' : 'memory');
    }
  }

  private touch(slot: number): void {
    const segment = this.store.meta(slot) & SEGMENT_MASK;
    if (segment === WINDOW) {
      this.window.moveToNewest(slot);
    } else if (segment === PROBATION && this.sketch === undefined) {
      // Without admission the main segment is one plain LRU list (no protected segment), so the tier as a
      // whole behaves like LRU: the baseline the admission default is measured against.
      this.probation.moveToNewest(slot);
    } else if (segment === PROBATION) {
      this.probation.unlink(slot);
      this.protectedSegment.push(slot);
      this.setSegment(slot, PROTECTED);
      if (this.protectedSegment.size > this.protectedCapacity) {
        const demoted = this.protectedSegment.oldest;
        this.protectedSegment.unlink(demoted);
        this.setSegment(demoted, PROBATION);
        this.probation.push(demoted);
      }
    } else if (segment === PROTECTED) {
      this.protectedSegment.moveToNewest(slot);
    }
    // DETACHED: between the window and the main segment (an `onEvict` observer reading it); nothing to move.
  }
}

function priorityBits(priority: CacheEntry['priority']): number {
  switch (priority) {
    case 'low':
    case 'medium':
    case 'high':
      return PRIORITY_CODE[priority] << PRIORITY_SHIFT;
    default:
      return 0;
  }
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || ArrayBuffer.isView(value)) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}
