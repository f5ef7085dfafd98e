import { estimateStringBytes } from './estimate-size.js';

/** L1's tag → keys index, for `deleteByTag`. Entries without tags never touch it. */
export class TagIndex {
  private readonly keysByTag = new Map<string, Set<string>>();

  /**
   * Bytes a tag list adds to an entry: the array (kept by reference) and, per tag, an entry in the tag's key
   * Set (about 3 slots) plus a share of the tag string, which many entries usually share.
   */
  static estimateBytes(tags: readonly string[]): number {
    if (tags.length === 0) return 0;
    let bytes = 48 + 8 * tags.length;
    for (const tag of tags) bytes += 24 + (estimateStringBytes(tag) >> 1);
    return bytes;
  }

  add(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      let keys = this.keysByTag.get(tag);
      if (keys === undefined) this.keysByTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  remove(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.keysByTag.get(tag);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) this.keysByTag.delete(tag);
    }
  }

  /** A snapshot of the tag's keys (callers delete while they walk it). */
  keysOf(tag: string): string[] {
    const keys = this.keysByTag.get(tag);
    return keys === undefined ? [] : [...keys];
  }

  clear(): void {
    this.keysByTag.clear();
  }
}
