/**
 * Conformance suites (after unstorage's `testDriver`): every tier runs `runTierConformance`, every composed
 * cache or `CacheStore` runs `runCacheStoreConformance`, so all of them agree on observable behaviour.
 * Import from `@wai/cache-tiers/testing` inside a vitest test file:
 *
 *   runTierConformance('my tier', ({ namespace }) => createMyTier({ namespace }));
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheSetOptions, CacheStore } from '@wai/metrics-core';
import type { CacheEntry, CacheTier } from './tier.js';

export interface ConformanceContext {
  /** A namespace no other suite uses; tiers must keep their keys inside it. */
  namespace: string;
}

export type TierFactory = (context: ConformanceContext) => CacheTier | Promise<CacheTier>;

export interface TierConformanceOptions {
  /** Skip the check that a stored `Date` comes back as an ISO string (for serializers that keep Dates). */
  preservesDates?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const uniqueNamespace = (name: string) => `conf-${name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40)}-${randomBytes(4).toString('hex')}`;

function entry<T>(value: T, overrides: Partial<CacheEntry<T>> = {}): CacheEntry<T> {
  const now = Date.now();
  return { value, createdAt: now, expiresAt: now + 60_000, staleUntil: now + 120_000, tags: [], ...overrides };
}

/** The shared behaviour every `CacheTier` must show. */
export function runTierConformance(name: string, factory: TierFactory, options: TierConformanceOptions = {}): void {
  describe(`CacheTier conformance: ${name}`, () => {
    let tier: CacheTier;
    let other: CacheTier;
    beforeAll(async () => {
      tier = await factory({ namespace: uniqueNamespace(name) });
      other = await factory({ namespace: uniqueNamespace(`${name}-other`) });
    });
    afterAll(async () => {
      await tier?.clear().catch(() => {});
      await other?.clear().catch(() => {});
      await tier?.close();
      await other?.close();
    });

    it('returns undefined for a missing key', async () => {
      expect(await tier.get('missing')).toBeUndefined();
    });

    it('round-trips values of every JSON shape', async () => {
      const values: unknown[] = ['text', '', 0, -1.5, 42, true, false, null, [], [1, 'a', null], {}, { a: { b: [1, 2, { c: 'd' }] } }, 'ünïcødé ✓ 日本'];
      for (const [index, value] of values.entries()) await tier.set(`value:${index}`, entry(value));
      for (const [index, value] of values.entries()) expect((await tier.get(`value:${index}`))?.value).toEqual(value);
    });

    it('keeps the entry metadata (times, tags, priority)', async () => {
      const stored = entry({ id: 1 }, { tags: ['a', 'b:c'], priority: 'high' });
      await tier.set('meta', stored);
      const read = await tier.get('meta');
      expect(read).toMatchObject({ value: { id: 1 }, createdAt: stored.createdAt, expiresAt: stored.expiresAt, staleUntil: stored.staleUntil, priority: 'high' });
      expect([...(read?.tags ?? [])].sort()).toEqual(['a', 'b:c']);
    });

    it('stores entries without expiry (Infinity)', async () => {
      await tier.set('forever', entry('x', { expiresAt: Infinity, staleUntil: Infinity }));
      const read = await tier.get('forever');
      expect(read?.expiresAt).toBe(Infinity);
      expect(read?.staleUntil).toBe(Infinity);
    });

    it('overwrites an existing key, tags included', async () => {
      await tier.set('over', entry(1, { tags: ['old'] }));
      await tier.set('over', entry(2, { tags: ['new'] }));
      expect((await tier.get('over'))?.value).toBe(2);
      await tier.deleteByTag('old');
      expect((await tier.get('over'))?.value).toBe(2);
    });

    it('accepts keys with separators, glob and hash-tag characters', async () => {
      const keys = ['a:b:c', 'with space', 'star*?[x]', '{braces}', 'ключ', 'a/b\\c', 'x'.repeat(500)];
      for (const key of keys) await tier.set(key, entry(key));
      for (const key of keys) expect((await tier.get(key))?.value).toBe(key);
    });

    it('returns stale entries within staleUntil and drops them after', async () => {
      const now = Date.now();
      await tier.set('stale', entry('s', { createdAt: now - 10_000, expiresAt: now - 1000, staleUntil: now + 150 }));
      expect((await tier.get('stale'))?.value).toBe('s');
      await sleep(250);
      expect(await tier.get('stale')).toBeUndefined();
    });

    it('does not store an entry already past staleUntil', async () => {
      await tier.set('dead', entry('live'));
      const now = Date.now();
      await tier.set('dead', entry('d', { createdAt: now - 10_000, expiresAt: now - 2000, staleUntil: now - 1000 }));
      expect(await tier.get('dead')).toBeUndefined();
    });

    it('delete reports whether the key existed', async () => {
      await tier.set('del', entry('v'));
      expect(await tier.delete('del')).toBe(true);
      expect(await tier.get('del')).toBeUndefined();
      expect(await tier.delete('del')).toBe(false);
    });

    it('deleteByTag removes exactly the tagged entries', async () => {
      await tier.set('t1', entry(1, { tags: ['red', 'x'] }));
      await tier.set('t2', entry(2, { tags: ['red'] }));
      await tier.set('t3', entry(3, { tags: ['blue'] }));
      const deleted = await tier.deleteByTag('red');
      expect(deleted === 2 || deleted === -1).toBe(true);
      expect(await tier.get('t1')).toBeUndefined();
      expect(await tier.get('t2')).toBeUndefined();
      expect((await tier.get('t3'))?.value).toBe(3);
      expect(await tier.deleteByTag('never-used')).toBeLessThanOrEqual(0);
    });

    it('round-trips large values (compression path)', async () => {
      const large = { text: 'lorem ipsum '.repeat(20_000), numbers: Array.from({ length: 5000 }, (_, i) => i) };
      await tier.set('large', entry(large));
      expect((await tier.get('large'))?.value).toEqual(large);
    });

    it('describes Dates as the serializer does', async () => {
      const date = new Date('2026-01-02T03:04:05.000Z');
      await tier.set('date', entry({ at: date }));
      const read = (await tier.get('date'))?.value as { at: unknown };
      if (options.preservesDates) expect(new Date(read.at as string | Date).getTime()).toBe(date.getTime());
      else expect(read.at === date.toISOString() || (read.at instanceof Date && read.at.getTime() === date.getTime())).toBe(true);
    });

    it('handles many concurrent writes and reads', async () => {
      await Promise.all(Array.from({ length: 200 }, (_, i) => tier.set(`many:${i}`, entry(i))));
      const values = await Promise.all(Array.from({ length: 200 }, (_, i) => tier.get(`many:${i}`)));
      expect(values.map((read) => read?.value)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    });

    it('clear empties its own namespace only', async () => {
      await tier.set('mine', entry('m'));
      await other.set('mine', entry('theirs'));
      await tier.clear();
      expect(await tier.get('mine')).toBeUndefined();
      expect((await other.get('mine'))?.value).toBe('theirs');
    });
  });
}

/** What a composed cache offers beyond `CacheStore` that the suite also checks, when present. */
export interface ConformingCache extends CacheStore {
  clear?(): Promise<void>;
  close?(): Promise<void>;
}

export type CacheFactory = (context: ConformanceContext) => ConformingCache | Promise<ConformingCache>;

/** The shared behaviour of `CacheStore`s (TTLs are seconds; tags invalidate; bad input is refused). */
export function runCacheStoreConformance(name: string, factory: CacheFactory): void {
  describe(`CacheStore conformance: ${name}`, () => {
    let cache: ConformingCache;
    beforeAll(async () => {
      cache = await factory({ namespace: uniqueNamespace(name) });
    });
    afterAll(async () => {
      await cache?.clear?.().catch(() => {});
      await cache?.close?.();
    });

    it('get of a missing key is undefined', async () => {
      expect(await cache.get('nope')).toBeUndefined();
    });

    it('set then get returns an equal value', async () => {
      const value = { id: 7, name: 'Ada', nested: { list: [1, 2, 3] } };
      await cache.set('user:7', value, { ttl: 60 });
      expect(await cache.get('user:7')).toEqual(value);
    });

    it('expires entries after ttl seconds', async () => {
      await cache.set('short', 'v', { ttl: 0.1 });
      expect(await cache.get('short')).toBe('v');
      await sleep(200);
      expect(await cache.get('short')).toBeUndefined();
    });

    it('delete removes the key and says whether it existed', async () => {
      await cache.set('gone', 1);
      expect(await cache.delete('gone')).toBe(true);
      expect(await cache.get('gone')).toBeUndefined();
      expect(await cache.delete('gone')).toBe(false);
    });

    it('invalidateByTag drops every tagged entry and keeps the rest', async () => {
      const tagged: CacheSetOptions = { ttl: 60, tags: ['user', 'user:1'] };
      await cache.set('u1:profile', 'p', tagged);
      await cache.set('u1:posts', 'q', { ttl: 60, tags: ['user:1'] });
      await cache.set('other', 'o', { ttl: 60, tags: ['product'] });
      await cache.invalidateByTag('user:1');
      expect(await cache.get('u1:profile')).toBeUndefined();
      expect(await cache.get('u1:posts')).toBeUndefined();
      expect(await cache.get('other')).toBe('o');
    });

    it('entries written after an invalidation are valid', async () => {
      await cache.invalidateByTag('fresh');
      await cache.set('after', 'a', { tags: ['fresh'] });
      expect(await cache.get('after')).toBe('a');
    });

    it('refuses bad keys, TTLs and values with a typed error, storing nothing', async () => {
      const codeOf = async (action: () => Promise<unknown>) => {
        try {
          await action();
          return 'no error';
        } catch (error) {
          return (error as { code?: unknown }).code;
        }
      };
      expect(await codeOf(() => cache.set('', 1))).toBe('E_INVALID_KEY');
      expect(await codeOf(() => cache.set(42 as unknown as string, 1))).toBe('E_INVALID_KEY');
      expect(await codeOf(() => cache.get(''))).toBe('E_INVALID_KEY');
      for (const ttl of [Number.NaN, -1, Infinity]) {
        expect(await codeOf(() => cache.set('bad-ttl', 1, { ttl }))).toBe('E_INVALID_TTL');
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const value of [() => 1, cyclic, 10n, { nested: 1n }]) {
        expect(await codeOf(() => cache.set('bad-value', value))).toBe('E_UNSERIALIZABLE_VALUE');
      }
      expect(await cache.get('bad-ttl')).toBeUndefined();
      expect(await cache.get('bad-value')).toBeUndefined();
    });
  });
}
