import { systemClock, type Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import type { CacheSetOptions, CacheStore, FillToken } from '../contracts/cache.js';
import { HTTP_OPTION_DEFAULTS } from './option-defaults.js';

export interface MemoryCacheStoreOptions {
  /**
   * Most entries kept; the least recently used goes first (approximately: a hit on an entry already among the
   * younger half of the order does not move it). @default 1000
   */
  maxEntries?: number;
  /** TTL (seconds) for `set` without one. @default 300 */
  defaultTtl?: number;
  clock?: Clock;
}

export interface MemoryCacheStore extends CacheStore {
  readonly size: number;
  getSync<T = unknown>(key: string): T | undefined;
  clear(): Promise<void>;
}

interface Entry {
  value: unknown;
  expiresAt: number;
  tags: readonly string[];
  /** `moves` when the entry last went to the young end of the LRU order. */
  movedAt: number;
}

/**
 * A small bounded in-process `CacheStore` (LRU by Map insertion order, lazy TTL expiry, a tag index), the
 * default behind HTTP response caching when no @wai cache or user store is given.
 */
export function createMemoryCacheStore(options: MemoryCacheStoreOptions = {}): MemoryCacheStore {
  const maxEntries = options.maxEntries ?? HTTP_OPTION_DEFAULTS.memoryCacheStore.maxEntries;
  const defaultTtl = options.defaultTtl ?? HTTP_OPTION_DEFAULTS.memoryCacheStore.defaultTtl;
  const clock = options.clock ?? systemClock;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new ValidationError('E_INVALID_ARGUMENT', `[wai:metrics-core] maxEntries must be a positive integer, got ${String(maxEntries)}`);
  }
  if (!(defaultTtl > 0)) throw new ValidationError('E_INVALID_TTL', `[wai:metrics-core] defaultTtl must be > 0 seconds, got ${String(defaultTtl)}`);
  const entries = new Map<string, Entry>();
  // Counts moves to the young end of the Map's order (writes and touches). A hit moves its entry only when it is
  // not among the younger half already: a Map delete + set per hit was the largest cost of a cached response.
  let moves = 0;
  const tagIndex = new Map<string, Set<string>>();
  // Fill versions: every write or invalidation advances `version` and marks its key or tag; a fill is refused
  // when a mark is newer than its token. Marks are bounded like the entries; forgetting one raises `floor`.
  let version = 0;
  let floor = 0;
  const marks = new Map<string, number>();
  const mark = (name: string) => {
    marks.delete(name);
    marks.set(name, ++version);
    if (marks.size > maxEntries * 2) {
      const oldest = marks.entries().next().value as [string, number];
      marks.delete(oldest[0]);
      floor = Math.max(floor, oldest[1]);
    }
  };
  const allows = (since: number, key: string, tags: readonly string[]) =>
    since >= floor && (marks.get(`k:${key}`) ?? 0) <= since && tags.every((tag) => (marks.get(`t:${tag}`) ?? 0) <= since);
  const write = <T>(key: string, value: T, setOptions: CacheSetOptions) => {
    const ttl = setOptions.ttl ?? defaultTtl;
    if (!(ttl > 0) || !Number.isFinite(ttl)) throw new ValidationError('E_INVALID_TTL', `[wai:metrics-core] ttl must be a positive number of seconds, got ${String(ttl)}`);
    const previous = entries.get(key);
    if (previous) unlink(key, previous);
    const tags = setOptions.tags ? [...new Set(setOptions.tags)] : [];
    entries.set(key, { value, expiresAt: clock.now() + ttl * 1000, tags, movedAt: ++moves });
    for (const tag of tags) {
      let keys = tagIndex.get(tag);
      if (!keys) tagIndex.set(tag, (keys = new Set()));
      keys.add(key);
    }
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value as string;
      unlink(oldest, entries.get(oldest) as Entry);
    }
  };

  const unlink = (key: string, entry: Entry) => {
    entries.delete(key);
    for (const tag of entry.tags) {
      const keys = tagIndex.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) tagIndex.delete(tag);
    }
  };

  function getSync<T>(key: string): T | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= clock.now()) {
      unlink(key, entry);
      return undefined;
    }
    if (moves - entry.movedAt >= Math.max(1, entries.size >>> 1)) {
      entries.delete(key);
      entries.set(key, entry);
      entry.movedAt = ++moves;
    }
    return entry.value as T;
  }

  return {
    get size() {
      return entries.size;
    },
    getSync,
    async get<T>(key: string): Promise<T | undefined> {
      return getSync<T>(key);
    },
    async set<T>(key: string, value: T, setOptions: CacheSetOptions = {}): Promise<void> {
      mark(`k:${key}`);
      write(key, value, setOptions);
    },
    async beginFill(): Promise<FillToken> {
      return { startedAt: clock.monotonic(), version } as FillToken;
    },
    async fill<T>(token: FillToken, key: string, value: T, setOptions: CacheSetOptions = {}): Promise<boolean> {
      const since = (token as FillToken & { version?: unknown }).version;
      if (typeof since !== 'number') throw new ValidationError('E_INVALID_ARGUMENT', '[wai:metrics-core] fill needs the token beginFill() returned');
      if (!allows(since, key, setOptions.tags ?? [])) return false;
      write(key, value, setOptions);
      return true;
    },
    async delete(key: string): Promise<boolean> {
      mark(`k:${key}`);
      const entry = entries.get(key);
      if (!entry) return false;
      unlink(key, entry);
      return entry.expiresAt > clock.now();
    },
    async invalidateByTag(tag: string): Promise<void> {
      mark(`t:${tag}`);
      const keys = tagIndex.get(tag);
      if (!keys) return;
      for (const key of [...keys]) {
        const entry = entries.get(key);
        if (entry) unlink(key, entry);
      }
      tagIndex.delete(tag);
    },
    async clear(): Promise<void> {
      floor = ++version;
      marks.clear();
      entries.clear();
      tagIndex.clear();
    },
  };
}
