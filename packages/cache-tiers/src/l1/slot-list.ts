import { NONE, type SlotStore } from './slot-store.js';

/**
 * An intrusive doubly-linked LRU list over slots of a `SlotStore` (its links; a slot is in at most one list at
 * a time): O(1) for every operation and no allocation. (A `Map` used as a queue is not O(1): V8 leaves deleted
 * entries as holes that `keys().next()` walks over until the table is rehashed.)
 */
export class SlotList {
  oldest = NONE;
  newest = NONE;
  size = 0;

  constructor(private readonly store: SlotStore) {}

  push(slot: number): void {
    const store = this.store;
    store.setPrev(slot, this.newest);
    store.setNext(slot, NONE);
    if (this.newest === NONE) this.oldest = slot;
    else store.setNext(this.newest, slot);
    this.newest = slot;
    this.size++;
  }

  unlink(slot: number): void {
    const store = this.store;
    const older = store.prev(slot);
    const newer = store.next(slot);
    if (older === NONE) this.oldest = newer;
    else store.setNext(older, newer);
    if (newer === NONE) this.newest = older;
    else store.setPrev(newer, older);
    this.size--;
  }

  moveToNewest(slot: number): void {
    if (this.newest === slot) return;
    this.unlink(slot);
    this.push(slot);
  }

  clear(): void {
    this.oldest = NONE;
    this.newest = NONE;
    this.size = 0;
  }
}
