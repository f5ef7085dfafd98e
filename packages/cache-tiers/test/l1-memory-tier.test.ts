import { describe, expect, it } from 'vitest';
import { createFakeClock } from '@wai/metrics-core/testing';
import { WaiError } from '@wai/metrics-core';
import { LRUCache } from 'lru-cache';
import { createMemoryTier, type EvictionReason } from '../src/l1/index.js';
import type { CacheEntry } from '../src/tier.js';

const START = 1_700_000_000_000;

function entry<T>(value: T, extra: Partial<CacheEntry<T>> = {}): CacheEntry<T> {
  return { value, createdAt: START, expiresAt: START + 60_000, staleUntil: START + 120_000, tags: [], ...extra };
}

describe('createMemoryTier', () => {
  it('stores, reads and deletes synchronously and through the async CacheTier methods', async () => {
    const clock = createFakeClock(START);
    const tier = createMemoryTier({ clock });
    tier.setSync('a', entry({ n: 1 }));
    expect(tier.getSync('a')?.value).toEqual({ n: 1 });
    expect(await tier.get('a')).toMatchObject({ value: { n: 1 } });
    await tier.set('b', entry('two'));
    expect(tier.size).toBe(2);
    expect(await tier.delete('b')).toBe(true);
    expect(await tier.delete('b')).toBe(false);
    expect(tier.deleteSync('a')).toBe(true);
    expect(tier.getSync('a')).toBeUndefined();
    expect(tier.size).toBe(0);
    expect(tier.memoryBytes).toBe(0);
    await tier.close();
  });

  it('stores values by reference (neither cloned nor frozen) unless freeze is on', () => {
    const clock = createFakeClock(START);
    const value = { list: [1, 2] };
    const plain = createMemoryTier({ clock });
    plain.setSync('k', entry(value));
    expect(plain.getSync('k')?.value).toBe(value);
    expect(Object.isFrozen(value)).toBe(false);

    const frozen = createMemoryTier({ clock, freeze: true });
    const other = { list: [1, 2] };
    frozen.setSync('k', entry(other));
    expect(Object.isFrozen(other)).toBe(true);
    expect(Object.isFrozen(other.list)).toBe(true);
    expect(() => (other.list as number[]).push(3)).toThrow(TypeError);
  });

  it('returns stale entries until staleUntil, then drops them with reason "expired"', () => {
    const clock = createFakeClock(START);
    const evicted: Array<[string, EvictionReason]> = [];
    const tier = createMemoryTier({ clock, onEvict: (key, reason) => evicted.push([key, reason]) });
    tier.setSync('k', entry('v'));
    clock.advance(90_000); // past expiresAt, within staleUntil
    expect(tier.getSync('k')?.value).toBe('v');
    clock.advance(30_000); // at staleUntil
    expect(tier.getSync('k')).toBeUndefined();
    expect(evicted).toEqual([['k', 'expired']]);
    expect(tier.size).toBe(0);
    // An entry already past staleUntil is not stored at all.
    tier.setSync('dead', entry('x', { staleUntil: START }));
    expect(tier.size).toBe(0);
  });

  it('sweeps entries past staleUntil on its purge interval', () => {
    const clock = createFakeClock(START);
    const tier = createMemoryTier({ clock, purgeIntervalMs: 10_000 });
    tier.setSync('short', entry(1, { expiresAt: START + 1000, staleUntil: START + 5000 }));
    tier.setSync('long', entry(2));
    clock.advance(10_000);
    expect([...tier.keys()]).toEqual(['long']);
    void tier.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('jitters expiresAt downwards by at most ttlJitter of the TTL and leaves staleUntil alone', () => {
    const clock = createFakeClock(START);
    const tier = createMemoryTier({ clock, ttlJitter: 0.2, random: () => 0.5 });
    tier.setSync('k', entry('v'));
    const stored = tier.getSync('k');
    expect(stored?.expiresAt).toBe(START + 60_000 - 0.5 * 0.2 * 60_000);
    expect(stored?.staleUntil).toBe(START + 120_000);
    const spread = createMemoryTier({ clock, ttlJitter: 0.1 });
    for (let index = 0; index < 200; index++) spread.setSync(`k${index}`, entry(index));
    const expiries = [...spread.keys()].map((key) => spread.peekSync(key)?.expiresAt ?? 0);
    expect(Math.min(...expiries)).toBeGreaterThanOrEqual(START + 54_000);
    expect(Math.max(...expiries)).toBeLessThanOrEqual(START + 60_000);
    expect(new Set(expiries).size).toBeGreaterThan(100);
  });

  it('never holds more than maxSize entries and reports capacity evictions', () => {
    const clock = createFakeClock(START);
    const reasons = new Map<EvictionReason, number>();
    const tier = createMemoryTier({ clock, maxSize: 100, onEvict: (_key, reason) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1) });
    for (let index = 0; index < 1000; index++) {
      tier.setSync(`k${index}`, entry(index));
      expect(tier.size).toBeLessThanOrEqual(100);
    }
    expect(tier.size).toBe(100);
    const dropped = (reasons.get('capacity') ?? 0) + (reasons.get('admission') ?? 0);
    expect(dropped).toBe(900);
    expect(tier.evictions).toBe(900);
  });

  it('never holds more than maxMemory estimated bytes and refuses a single entry larger than the bound', () => {
    const clock = createFakeClock(START);
    const evicted: EvictionReason[] = [];
    const tier = createMemoryTier({ clock, maxSize: 100_000, maxMemory: 64 * 1024, onEvict: (_key, reason) => evicted.push(reason) });
    for (let index = 0; index < 2000; index++) {
      tier.setSync(`k${index}`, entry('x'.repeat(100 + (index % 7) * 150)));
      expect(tier.memoryBytes).toBeLessThanOrEqual(64 * 1024);
    }
    expect(tier.size).toBeGreaterThan(20);
    expect(tier.size).toBeLessThan(2000);
    expect(evicted).toContain('memory');
    const sizeBefore = tier.size;
    tier.setSync('huge', entry('y'.repeat(100 * 1024)));
    expect(tier.getSync('huge')).toBeUndefined();
    expect(tier.size).toBe(sizeBefore);
    // Replacing a value re-accounts its bytes.
    tier.setSync('k1999', entry('z'));
    const small = tier.memoryBytes;
    tier.setSync('k1999', entry('z'.repeat(5000)));
    expect(tier.memoryBytes).toBeGreaterThan(small);
  });

  it('keeps both bounds with admission on, under a random workload of mixed sizes, tags and priorities', () => {
    const clock = createFakeClock(START);
    const tier = createMemoryTier({ clock, maxSize: 300, maxMemory: 128 * 1024, admission: true });
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const priorities = ['low', 'medium', 'high'] as const;
    for (let step = 0; step < 20_000; step++) {
      const key = `k${Math.floor(random() * random() * 2000)}`;
      const action = random();
      if (action < 0.6) tier.getSync(key);
      else if (action < 0.95) tier.setSync(key, entry('v'.repeat(Math.floor(random() * 3000)), { tags: [`t${step % 7}`], priority: priorities[step % 3] as 'low' }));
      else if (action < 0.98) tier.deleteSync(key);
      else void tier.deleteByTag(`t${step % 7}`);
      expect(tier.size).toBeLessThanOrEqual(300);
      expect(tier.memoryBytes).toBeLessThanOrEqual(128 * 1024);
    }
    // Bookkeeping matches the content: every key listed is readable, and bytes sum to zero once cleared.
    for (const key of [...tier.keys()]) expect(tier.peekSync(key)).toBeDefined();
    void tier.clear();
    expect(tier.memoryBytes).toBe(0);
  });

  it('estimates two-byte strings at twice the size of Latin-1 strings', () => {
    const tier = createMemoryTier({ clock: createFakeClock(START) });
    tier.setSync('a', entry('é'.repeat(1000)));
    const latin = tier.memoryBytes;
    tier.setSync('a', entry('€'.repeat(1000)));
    expect(tier.memoryBytes - latin).toBeGreaterThanOrEqual(990);
  });

  it('deletes by tag through its tag index and keeps the index consistent after evictions', async () => {
    const clock = createFakeClock(START);
    const tier = createMemoryTier({ clock, maxSize: 50 });
    tier.setSync('u:1', entry(1, { tags: ['user', 'user:1'] }));
    tier.setSync('u:2', entry(2, { tags: ['user'] }));
    tier.setSync('p:1', entry(3, { tags: ['post'] }));
    expect(await tier.deleteByTag('user')).toBe(2);
    expect(tier.getSync('u:1')).toBeUndefined();
    expect(tier.getSync('p:1')?.value).toBe(3);
    expect(await tier.deleteByTag('user:1')).toBe(0);
    // Re-tagging on overwrite: the old tag no longer reaches the key.
    tier.setSync('p:1', entry(4, { tags: ['other'] }));
    expect(await tier.deleteByTag('post')).toBe(0);
    expect(await tier.deleteByTag('other')).toBe(1);
    await tier.clear();
    expect(tier.size).toBe(0);
  });

  it('keeps a hot working set through a one-hit scan (TinyLFU admission), which plain LRU loses', () => {
    const run = (get: (key: string) => unknown, set: (key: string) => void): number => {
      const access = (key: string): boolean => {
        if (get(key) !== undefined) return true;
        set(key);
        return false;
      };
      for (let round = 0; round < 20; round++) for (let index = 0; index < 100; index++) access(`hot:${index}`);
      for (let index = 0; index < 5000; index++) access(`scan:${index}`);
      let hits = 0;
      for (let index = 0; index < 100; index++) if (access(`hot:${index}`)) hits++;
      return hits;
    };
    const tier = createMemoryTier({ clock: createFakeClock(START), maxSize: 200, admission: true });
    expect(run((key) => tier.getSync(key), (key) => tier.setSync(key, entry(key)))).toBeGreaterThanOrEqual(95);
    const lru = new LRUCache<string, string>({ max: 200 });
    expect(run((key) => lru.get(key), (key) => lru.set(key, key))).toBe(0);
  });

  it("gives 'high' priority entries a second chance and lets 'low' ones lose the admission duel", () => {
    const clock = createFakeClock(START);
    const tier = createMemoryTier({ clock, maxSize: 100, admission: false });
    for (let index = 0; index < 50; index++) tier.setSync(`high:${index}`, entry(index, { priority: 'high' }));
    for (let index = 0; index < 50; index++) tier.setSync(`low:${index}`, entry(index, { priority: 'low' }));
    for (let index = 0; index < 50; index++) tier.setSync(`new:${index}`, entry(index));
    const highKept = [...tier.keys()].filter((key) => key.startsWith('high:')).length;
    const lowKept = [...tier.keys()].filter((key) => key.startsWith('low:')).length;
    expect(highKept).toBeGreaterThan(lowKept);
  });

  it('rejects bad keys, entries and options with typed errors', () => {
    const tier = createMemoryTier({ clock: createFakeClock(START) });
    expect(() => tier.setSync('', entry(1))).toThrow(expect.objectContaining({ code: 'E_INVALID_KEY' }));
    expect(() => tier.setSync(42 as unknown as string, entry(1))).toThrow(WaiError);
    expect(() => tier.setSync('k', { value: 1 } as unknown as CacheEntry)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(tier.size).toBe(0);
    for (const options of [{ maxSize: 0 }, { maxSize: 1.5 }, { maxMemory: -1 }, { maxMemory: Number.NaN }, { ttlJitter: 1 }, { windowRatio: 0 }]) {
      expect(() => createMemoryTier(options)).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    }
  });

  it('rejects through the promise (never throws synchronously) from the async methods', async () => {
    const tier = createMemoryTier({ clock: createFakeClock(START) });
    await expect(tier.set('', entry(1))).rejects.toMatchObject({ code: 'E_INVALID_KEY' });
  });
});
