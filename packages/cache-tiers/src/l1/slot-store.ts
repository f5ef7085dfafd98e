/**
 * L1's entries as parallel arrays indexed by slot, after lru-cache's layout (isaacs/node-lru-cache: `keyMap`
 * Map<key, index>, `keyList`/`valList`, `next`/`prev` typed arrays, a `free` stack): an entry is one Map entry,
 * three pointer slots (key, value, tags) and 37 bytes of typed arrays, instead of a node object, the caller's
 * `CacheEntry` object, its three boxed epoch-ms doubles and its tags array (about 380 bytes before, measured in
 * bench row "L1 heap per entry"). The numbers live unboxed in Float64Arrays; entries without tags share one
 * frozen empty array.
 *
 * Arrays grow by doubling up to `maxSlots` (not preallocated: `maxSize` may be far above what the byte bound
 * lets in), and `clear()` gives the memory back.
 */

/** "No slot" in the `next`/`prev` links. */
export const NONE = -1;

/** Shared by every entry stored without tags. */
export const NO_TAGS: readonly string[] = Object.freeze([]);

const INITIAL_SLOTS = 16;

/** `meta` byte layout: segment (bits 0–1), second-chance flag (bit 2), priority code (bits 3–4, 0 = absent). */
export const SEGMENT_MASK = 0b11;
export const SECOND_CHANCE = 0b100;
export const PRIORITY_SHIFT = 3;

export class SlotStore {
  keys: Array<string | undefined> = [];
  values: unknown[] = [];
  tags: Array<readonly string[]> = [];
  createdAt = new Float64Array(0);
  expiresAt = new Float64Array(0);
  staleUntil = new Float64Array(0);
  /** The entry's size estimate (bytes), clamped to 32 bits: one V8 heap holds no 4 GiB object graph. */
  bytes = new Uint32Array(0);
  meta = new Uint8Array(0);
  /** Links of the LRU list the slot is in: towards its newer and its older end. */
  next = new Int32Array(0);
  prev = new Int32Array(0);
  /** The key's frequency-sketch hash; only kept when admission is on. */
  hashes: Uint32Array | undefined;
  private free: number[] = [];
  /** Slots handed out so far (the high-water mark); every slot below it is live or on `free`. */
  private used = 0;

  constructor(
    private readonly maxSlots: number,
    private readonly withHashes: boolean,
  ) {
    this.resize(Math.min(INITIAL_SLOTS, maxSlots));
  }

  get capacity(): number {
    return this.next.length;
  }

  /** Slots ever handed out (live entries sit below it). */
  get highWater(): number {
    return this.used;
  }

  allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.capacity) this.resize(Math.min(this.maxSlots, Math.max(INITIAL_SLOTS, this.capacity * 2)));
    return this.used++;
  }

  release(slot: number): void {
    // Dropping the references lets the value and key be collected while the slot waits for reuse.
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.tags[slot] = NO_TAGS;
    this.free.push(slot);
  }

  /** Drops every entry and shrinks the arrays back to their initial size. */
  clear(): void {
    this.keys = [];
    this.values = [];
    this.tags = [];
    this.free = [];
    this.used = 0;
    this.resize(Math.min(INITIAL_SLOTS, this.maxSlots), true);
  }

  private resize(slots: number, empty = false): void {
    if (slots <= this.capacity && !empty) throw new RangeError(`[wai:cache-tiers] L1 slot store is full (${this.capacity} slots)`);
    const keep = empty ? 0 : this.used;
    this.createdAt = grow(this.createdAt, new Float64Array(slots), keep);
    this.expiresAt = grow(this.expiresAt, new Float64Array(slots), keep);
    this.staleUntil = grow(this.staleUntil, new Float64Array(slots), keep);
    this.bytes = grow(this.bytes, new Uint32Array(slots), keep);
    this.meta = grow(this.meta, new Uint8Array(slots), keep);
    this.next = grow(this.next, new Int32Array(slots), keep);
    this.prev = grow(this.prev, new Int32Array(slots), keep);
    if (this.withHashes) this.hashes = grow(this.hashes ?? new Uint32Array(0), new Uint32Array(slots), keep);
    // Pointer arrays sized once per doubling (holey from here on): pushing would let V8 over-allocate by half.
    this.keys = growArray(this.keys, slots, keep);
    this.values = growArray(this.values, slots, keep);
    this.tags = growArray(this.tags, slots, keep);
  }
}

function grow<T extends Float64Array | Uint32Array | Int32Array | Uint8Array>(from: T, to: T, keep: number): T {
  if (keep > 0) to.set(from.subarray(0, keep));
  return to;
}

function growArray<T>(from: T[], slots: number, keep: number): T[] {
  const to = new Array<T>(slots);
  for (let slot = 0; slot < keep; slot++) to[slot] = from[slot] as T;
  return to;
}
