/**
 * L1's entries as parallel arrays indexed by slot, after lru-cache's layout (isaacs/node-lru-cache: `keyMap`
 * Map<key, index>, `keyList`/`valList`, `next`/`prev` typed arrays, a `free` stack): an entry is one Map entry,
 * three pointer slots (key, value, tags) and 40 bytes of typed arrays, instead of a node object, the caller's
 * `CacheEntry` object, its three boxed epoch-ms doubles and its tags array (several times the bytes; bench row
 * "L1 memory per entry" measures what an entry costs). The numbers live unboxed in typed arrays; entries without tags share one
 * frozen empty array.
 *
 * Each array interleaves what one access reads together (a slot's three times; its links, meta and size; its
 * key, value and tags), so a hit on a cache too big for the CPU cache misses about three lines, not eight.
 * Arrays grow by doubling up to `maxSlots` (not preallocated: `maxSize` may be far above what the byte bound
 * lets in), and `clear()` gives the memory back.
 */

/** "No slot" in the links. */
export const NONE = -1;

/** Shared by every entry stored without tags. */
export const NO_TAGS: readonly string[] = Object.freeze([]);

/** `meta` layout: segment (bits 0–1), second-chance flag (bit 2), priority code (bits 3–4, 0 = absent). */
export const SEGMENT_MASK = 0b11;
export const SECOND_CHANCE = 0b100;
export const PRIORITY_SHIFT = 3;

const INITIAL_SLOTS = 16;
/** `links` per slot: newer neighbour, older neighbour, meta, size estimate. */
const NEXT = 0;
const PREV = 1;
const META = 2;
const BYTES = 3;
/** `times` per slot: createdAt, expiresAt, staleUntil (epoch ms). */
const CREATED = 0;
const EXPIRES = 1;
const STALE = 2;
/** `pointers` per slot: key, value, tags. */
const KEY = 0;
const VALUE = 1;
const TAGS = 2;
/** Largest size estimate kept: one V8 heap holds no 2 GiB object graph. */
export const MAX_ENTRY_BYTES = 0x7fff_ffff;

export class SlotStore {
  private links = new Int32Array(0);
  private times = new Float64Array(0);
  private pointers: unknown[] = [];
  /** The key's frequency-sketch hash; only kept when admission is on. */
  private hashes: Uint32Array | undefined;
  private free: number[] = [];
  /** Slots handed out so far (the high-water mark); every slot below it is live or on `free`. */
  private used = 0;
  private slots = 0;

  constructor(
    private readonly maxSlots: number,
    private readonly withHashes: boolean,
  ) {
    this.resize(Math.min(INITIAL_SLOTS, maxSlots), 0);
  }

  /** Slots ever handed out (live entries sit below it). */
  get highWater(): number {
    return this.used;
  }

  allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.slots) {
      if (this.slots >= this.maxSlots) throw new RangeError(`[wai:cache-tiers] L1 slot store is full (${this.slots} slots)`);
      this.resize(Math.min(this.maxSlots, this.slots * 2), this.used);
    }
    return this.used++;
  }

  release(slot: number): void {
    // Dropping the references lets the value and key be collected while the slot waits for reuse.
    this.pointers[slot * 3 + KEY] = undefined;
    this.pointers[slot * 3 + VALUE] = undefined;
    this.pointers[slot * 3 + TAGS] = NO_TAGS;
    this.free.push(slot);
  }

  /** Drops every entry and shrinks the arrays back to their initial size. */
  clear(): void {
    this.free = [];
    this.used = 0;
    this.resize(Math.min(INITIAL_SLOTS, this.maxSlots), 0);
  }

  /** Whether the slot holds an entry (slots on the free list hold no key). */
  isLive(slot: number): boolean {
    return this.pointers[slot * 3 + KEY] !== undefined;
  }

  key(slot: number): string {
    return this.pointers[slot * 3 + KEY] as string;
  }

  value(slot: number): unknown {
    return this.pointers[slot * 3 + VALUE];
  }

  tags(slot: number): readonly string[] {
    return this.pointers[slot * 3 + TAGS] as readonly string[];
  }

  createdAt(slot: number): number {
    return this.times[slot * 3 + CREATED]!;
  }

  expiresAt(slot: number): number {
    return this.times[slot * 3 + EXPIRES]!;
  }

  staleUntil(slot: number): number {
    return this.times[slot * 3 + STALE]!;
  }

  bytes(slot: number): number {
    return this.links[slot * 4 + BYTES]!;
  }

  meta(slot: number): number {
    return this.links[slot * 4 + META]!;
  }

  setMeta(slot: number, meta: number): void {
    this.links[slot * 4 + META] = meta;
  }

  hash(slot: number): number {
    return this.hashes?.[slot] ?? 0;
  }

  /** Writes everything but the links and meta. */
  write(slot: number, key: string, value: unknown, tags: readonly string[], createdAt: number, expiresAt: number, staleUntil: number, bytes: number, hash: number): void {
    const base = slot * 3;
    this.pointers[base + KEY] = key;
    this.pointers[base + VALUE] = value;
    this.pointers[base + TAGS] = tags;
    this.times[base + CREATED] = createdAt;
    this.times[base + EXPIRES] = expiresAt;
    this.times[base + STALE] = staleUntil;
    this.links[slot * 4 + BYTES] = bytes;
    if (this.hashes !== undefined) this.hashes[slot] = hash;
  }

  next(slot: number): number {
    return this.links[slot * 4 + NEXT]!;
  }

  prev(slot: number): number {
    return this.links[slot * 4 + PREV]!;
  }

  setNext(slot: number, next: number): void {
    this.links[slot * 4 + NEXT] = next;
  }

  setPrev(slot: number, prev: number): void {
    this.links[slot * 4 + PREV] = prev;
  }

  private resize(slots: number, keep: number): void {
    this.links = copyInto(new Int32Array(slots * 4), this.links, keep * 4);
    this.times = copyInto(new Float64Array(slots * 3), this.times, keep * 3);
    if (this.withHashes) this.hashes = copyInto(new Uint32Array(slots), this.hashes ?? new Uint32Array(0), keep);
    // Sized once per doubling (holey from here on): growing by pushes would let V8 over-allocate by half.
    const pointers = new Array<unknown>(slots * 3);
    for (let index = 0; index < keep * 3; index++) pointers[index] = this.pointers[index];
    this.pointers = pointers;
    this.slots = slots;
  }
}

function copyInto<T extends Int32Array | Float64Array | Uint32Array>(to: T, from: T, length: number): T {
  if (length > 0) to.set(from.subarray(0, length));
  return to;
}
