import { EventEmitter } from 'node:events';
import { ConfigError } from '@wai/metrics-core';
import type { Cache } from '../cache/types.js';
import type { CacheTier } from '../tier.js';

/**
 * A Keyv store (`new Keyv({ store: createKeyvStore({ cache }) })`, also what cache-manager 7 takes) over a
 * composed cache: Keyv's keys and serialized values go through the cache's tiers, so every Keyv user of the
 * same namespace shares L1, L2 and the invalidation bus.
 *
 * The types below are written out rather than imported from keyv (an optional peer): a TypeScript user without
 * keyv installed still compiles. They match keyv 5's `KeyvStoreAdapter` structurally.
 */
export interface KeyvCacheStoreOptions {
  /** The cache to store into (not closed by the store: it belongs to the caller). */
  cache: Cache;
}

/** Keyv's `KeyvStoreAdapter`, as implemented here. */
export interface KeyvCacheStore extends EventEmitter {
  /**
   * Keyv reads `opts.dialect` to decide whether a store can iterate: it enables `keyv.iterator()` only for the
   * dialects on its own list, so this store announces `redis`, whose per-namespace iteration it provides.
   */
  readonly opts: { readonly dialect: 'redis'; readonly url: string };
  /** Set by Keyv to its namespace; `clear()` and `iterator()` cover only keys starting with `namespace:`. */
  namespace?: string | undefined;
  get(key: string): Promise<unknown>;
  getMany(keys: string[]): Promise<unknown[]>;
  /** `ttl` is milliseconds, as Keyv gives it; none means the entry does not expire. */
  set(key: string, value: unknown, ttl?: number): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  deleteMany(keys: string[]): Promise<boolean>;
  /** Deletes the keys of this store's namespace (every key of the cache when Keyv has no namespace). */
  clear(): Promise<void>;
  /** `[key, value]` of every live entry of `namespace` (keys as stored, with Keyv's prefix). */
  iterator(namespace?: string): AsyncGenerator<[string, unknown], void>;
}

/**
 * "No TTL" in Keyv means forever; the cache's TTLs are finite seconds, so such entries get a century (past any
 * process or Redis instance they live in).
 */
const FOREVER_SECONDS = 100 * 365 * 24 * 3600;

/** A tier whose keys can be listed: L1's `keys()`, L2's `entryKeys(prefix)`. */
type KeyLister = (prefix: string) => AsyncIterable<string> | Iterable<string>;

function keyListerOf(tier: CacheTier): KeyLister | undefined {
  const candidate = tier as CacheTier & { keys?: unknown; entryKeys?: unknown };
  if (typeof candidate.entryKeys === 'function') {
    const entryKeys = candidate.entryKeys as (prefix: string) => AsyncIterable<string>;
    return (prefix) => entryKeys.call(tier, prefix);
  }
  if (typeof candidate.keys === 'function') {
    const keys = candidate.keys as () => Iterable<string>;
    return (prefix) => [...keys.call(tier)].filter((key) => key.startsWith(prefix));
  }
  return undefined;
}

class CacheKeyvStore extends EventEmitter implements KeyvCacheStore {
  readonly opts: { readonly dialect: 'redis'; readonly url: string };
  namespace?: string | undefined;
  readonly #cache: Cache;
  readonly #listers: readonly KeyLister[];

  constructor(cache: Cache, listers: readonly KeyLister[]) {
    super();
    this.#cache = cache;
    this.#listers = listers;
    this.opts = { dialect: 'redis', url: `wai-cache-tiers://${cache.namespace}` };
  }

  get(key: string): Promise<unknown> {
    return this.#cache.get(key);
  }

  getMany(keys: string[]): Promise<unknown[]> {
    return Promise.all(keys.map((key) => this.#cache.get(key)));
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const seconds = ttl === undefined || ttl === null ? FOREVER_SECONDS : ttl / 1000;
    await this.#cache.set(key, value, { ttl: seconds });
    return true;
  }

  delete(key: string): Promise<boolean> {
    return this.#cache.delete(key);
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    const deleted = await Promise.all(keys.map((key) => this.#cache.delete(key)));
    return deleted.some(Boolean);
  }

  async clear(): Promise<void> {
    if (this.namespace === undefined) {
      await this.#cache.clear();
      return;
    }
    const keys = await this.#keys(`${this.namespace}:`);
    await Promise.all(keys.map((key) => this.#cache.delete(key)));
  }

  async *iterator(namespace?: string): AsyncGenerator<[string, unknown], void> {
    for (const key of await this.#keys(namespace === undefined ? '' : `${namespace}:`)) {
      const value = await this.#cache.get(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /** The union over the tiers (an entry may sit in L1 only, or in L2 only after another instance wrote it). */
  async #keys(prefix: string): Promise<string[]> {
    const found = new Set<string>();
    for (const list of this.#listers) {
      for await (const key of list(prefix)) found.add(key);
    }
    return [...found];
  }
}

/**
 * A Keyv store over `cache`. Every tier of the cache must be able to list its keys (L1 and the Redis L2 can; the
 * SQL tiers cannot, so a cache with L3 is refused: a namespaced `clear()` would leave its entries behind).
 */
export function createKeyvStore(options: KeyvCacheStoreOptions): KeyvCacheStore {
  const cache = options?.cache;
  if (cache === undefined || cache === null || typeof cache.get !== 'function' || !Array.isArray(cache.tiers)) {
    throw new ConfigError('[wai:cache-tiers] createKeyvStore needs `cache`: a cache made by createCache()');
  }
  const listers: KeyLister[] = [];
  for (const { tier, name } of cache.tiers) {
    const lister = keyListerOf(tier);
    if (lister === undefined) {
      throw new ConfigError(
        `[wai:cache-tiers] createKeyvStore: tier ${name} cannot list its keys, so Keyv's namespaced clear() and iterator() could not reach its entries; use a cache with L1 and/or the Redis L2 only`,
      );
    }
    listers.push(lister);
  }
  return new CacheKeyvStore(cache, listers);
}
