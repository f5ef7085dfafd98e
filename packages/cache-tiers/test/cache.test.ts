import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { CacheStore, CacheStatsSource } from '@wai/metrics-core';
import { redisUrl } from '@wai/test-services';
import { createCache, type Cache, type CacheHookEvents } from '../src/cache.js';
import type { CacheEntry, CacheTier } from '../src/tier.js';
import { createRedisTier } from '../src/l2/index.js';
import { createSqliteTier, openSqlite } from '../src/l3/index.js';
import { sleep, testNamespaces } from './helpers.js';

const directory = mkdtempSync(join(tmpdir(), 'wai-cache-test-'));
const namespaces = testNamespaces('cache');
const namespace = () => namespaces.next();
const caches: Cache[] = [];
function track(cache: Cache): Cache {
  caches.push(cache);
  return cache;
}

afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});
afterAll(async () => {
  await namespaces.cleanup();
  rmSync(directory, { recursive: true, force: true });
});

describe('getOrSet', () => {
  it('runs the loader once for 1,000 concurrent callers of a cold key (one process)', async () => {
    const cache = track(createCache({ namespace: namespace(), l2: { redis: redisUrl() } }));
    let calls = 0;
    let prevented = 0;
    cache.addHook({ stampedePrevented: () => void prevented++ });
    const loader = async () => {
      calls++;
      await sleep(30);
      return { loaded: true };
    };
    const results = await Promise.all(Array.from({ length: 1000 }, () => cache.getOrSet('cold', loader, { ttl: 60 })));
    expect(calls).toBe(1);
    expect(results.every((result) => result.loaded)).toBe(true);
    expect(prevented).toBe(999);
    expect(cache.getAnalytics().stampedesPrevented).toBe(999);
  });

  it('never caches errors: the next call runs the loader again', async () => {
    const cache = track(createCache({ namespace: namespace() }));
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('db down');
    };
    await expect(cache.getOrSet('e', failing)).rejects.toThrow('db down');
    await expect(cache.getOrSet('e', failing)).rejects.toThrow('db down');
    expect(calls).toBe(2);
    expect(await cache.get('e')).toBeUndefined();
  });

  it('serves a stale value within grace when the loader fails, and throttles retries (fail-safe)', async () => {
    const cache = track(createCache({ namespace: namespace(), l2: { redis: redisUrl() }, grace: 60, failSafeRetryInterval: 200 }));
    await cache.set('fs', 'old', { ttl: 0.05 });
    await sleep(80);
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('upstream 500');
    };
    expect(await cache.getOrSet('fs', failing)).toBe('old');
    expect(await cache.getOrSet('fs', failing)).toBe('old');
    expect(calls).toBe(1); // throttled
    await sleep(250);
    expect(await cache.getOrSet('fs', async () => 'new', { ttl: 60 })).toBe('new');
    expect(await cache.get('fs')).toBe('new');
  });

  it('does not serve stale values without grace', async () => {
    const cache = track(createCache({ namespace: namespace() }));
    await cache.set('ng', 'old', { ttl: 0.02 });
    await sleep(40);
    await expect(cache.getOrSet('ng', async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
  });

  it('soft timeout answers stale while the load finishes in the background', async () => {
    const cache = track(createCache({ namespace: namespace(), l2: { redis: redisUrl() }, grace: 60 }));
    await cache.set('soft', 'old', { ttl: 0.02 });
    await sleep(40);
    const started = Date.now();
    const value = await cache.getOrSet('soft', async () => {
      await sleep(150);
      return 'new';
    }, { softTimeout: 30, ttl: 60 });
    expect(value).toBe('old');
    expect(Date.now() - started).toBeLessThan(120);
    await sleep(200);
    expect(await cache.get('soft')).toBe('new');
  });

  it('hard timeout rejects with TimeoutError when there is nothing stale', async () => {
    const cache = track(createCache({ namespace: namespace() }));
    const error = await cache.getOrSet('hard', () => sleep(300).then(() => 'late'), { hardTimeout: 40 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'E_TIMEOUT', name: 'TimeoutError' });
  });

  it('refuses a loader result that cannot be serialised, storing nothing', async () => {
    const cache = track(createCache({ namespace: namespace(), l2: { redis: redisUrl() } }));
    await expect(cache.getOrSet('big', async () => ({ id: 10n }))).rejects.toMatchObject({ code: 'E_UNSERIALIZABLE_VALUE' });
    expect(await cache.get('big')).toBeUndefined();
  });

  it('a delete or tag invalidation while the loader runs is not undone by its result', async () => {
    const cache = track(createCache({ namespace: namespace(), l2: { redis: redisUrl() } }));
    let release!: () => void;
    const slow = () => new Promise<string>((resolve) => (release = () => resolve('outdated')));
    const deleted = cache.getOrSet('racy', slow, { ttl: 60 });
    await sleep(10);
    await cache.delete('racy');
    release();
    expect(await deleted).toBe('outdated'); // the waiting callers still get an answer…
    expect(await cache.get('racy')).toBeUndefined(); // …but it is not stored over the delete
    const tagged = cache.getOrSet('racy-tag', slow, { ttl: 60, tags: ['team'] });
    await sleep(10);
    await cache.invalidateByTag('team');
    release();
    expect(await tagged).toBe('outdated');
    expect(await cache.get('racy-tag')).toBeUndefined();
    expect(await cache.getOrSet('racy-tag', async () => 'fresh', { tags: ['team'] })).toBe('fresh');
    expect(await cache.get('racy-tag')).toBe('fresh');
  });

  it('a set while the L2 read of a miss is still in flight is not overwritten by the load that follows', async () => {
    // An L2 whose first read answers only when released, so the set lands between the read and the load.
    const rows = new Map<string, CacheEntry>();
    let releaseRead: (() => void) | undefined;
    const gated: CacheTier = {
      name: 'l2',
      get: async (key) => {
        const seen = rows.get(key); // what the server held when the read arrived
        if (!releaseRead) await new Promise<void>((resolve) => (releaseRead = resolve));
        return seen;
      },
      set: async (key, entry) => void rows.set(key, entry),
      delete: async (key) => rows.delete(key),
      deleteByTag: async () => 0,
      clear: async () => rows.clear(),
      close: async () => {},
    };
    const cache = track(createCache({ namespace: namespace(), l1: false, l2: gated }));
    const loaded = cache.getOrSet('raced', async () => 'outdated', { ttl: 60 });
    await sleep(5);
    await cache.set('raced', 'newer', { ttl: 60 });
    releaseRead!();
    expect(await loaded).toBe('outdated'); // its caller still gets the load's answer…
    await sleep(5);
    expect(rows.get('raced')?.value).toBe('newer'); // …but the newer write stays
  });

  it('remembers loaders when predictive, bounded, and refresh() reloads', async () => {
    const cache = track(createCache({ namespace: namespace(), maxRememberedLoaders: 2 }));
    let version = 0;
    const loader = async () => ++version;
    await cache.getOrSet('p1', loader, { predictive: true });
    await cache.getOrSet('p2', loader, { predictive: true });
    await cache.getOrSet('p3', loader, { predictive: true });
    await cache.getOrSet('plain', loader);
    expect([...cache.rememberedKeys()]).toEqual(['p2', 'p3']);
    expect(cache.getLoader('p1')).toBeUndefined();
    expect(await cache.refresh('p3')).toBe(true);
    expect(await cache.get('p3')).toBe(5);
    expect(await cache.refresh('plain')).toBe(false);
  });
});

describe('tiers', () => {
  it('back-fills upper tiers from a lower hit with the remaining TTL', async () => {
    const name = namespace();
    const l3 = createSqliteTier({ path: join(directory, 'backfill.db'), namespace: name });
    const l2 = createRedisTier({ redis: redisUrl(), namespace: name });
    const now = Date.now();
    await l3.set('deep', { value: 'from-l3', createdAt: now, expiresAt: now + 30_000, staleUntil: now + 30_000, tags: [] });
    const cache = track(createCache({ namespace: name, l2, l3 }));
    const tiersHit: string[] = [];
    cache.on('hit', (_key, tier) => tiersHit.push(String(tier)));
    expect(await cache.get('deep')).toBe('from-l3');
    await sleep(50);
    const inL2 = await l2.get('deep');
    expect(inL2?.value).toBe('from-l3');
    expect(inL2?.expiresAt).toBe(now + 30_000);
    expect(await cache.get('deep')).toBe('from-l3');
    expect(tiersHit).toEqual(['l3', 'l1']);
    await l2.clear();
    await l3.clear();
    await l2.close();
    await l3.close();
  });

  it('invalidateByTag is one stamp: L1, L2 and L3 entries are refused on every instance (and purged on request)', async () => {
    for (const purgeOnInvalidate of [false, true]) {
      const name = namespace();
      const sqlite = join(directory, `tags-${purgeOnInvalidate}.db`);
      const a = track(createCache({ namespace: name, l2: { redis: redisUrl() }, l3: { driver: 'sqlite', path: sqlite }, purgeOnInvalidate }));
      const b = track(createCache({ namespace: name, l1: false, l2: { redis: redisUrl() } }));
      const c = track(createCache({ namespace: name, l1: false, l2: { redis: redisUrl() }, l3: { driver: 'sqlite', path: sqlite } }));
      await a.set('t:1', 'one', { tags: ['group'] });
      await a.set('t:2', 'two', { tags: ['other'] });
      expect(await b.get('t:1')).toBe('one');
      const writes = createRedisTier({ redis: redisUrl(), namespace: name });
      await a.invalidateByTag('group');
      await sleep(30);
      const l3 = createSqliteTier({ path: sqlite, namespace: name });
      // Only the tag's version changes unless purging: the row stays, and the tier refuses it.
      const reader = openSqlite(sqlite);
      const rows = reader.prepare('select count(*) as n from wai_cache where namespace = ? and key = ?').get(name, 't:1') as { n: number };
      reader.close();
      expect(rows.n === 0).toBe(purgeOnInvalidate);
      expect(await l3.get('t:1')).toBeUndefined();
      expect(await a.get('t:1')).toBeUndefined();
      expect(await b.get('t:1')).toBeUndefined();
      expect(await b.get('t:2')).toBe('two');
      // Every tier checks its own tag versions: C (L2 + L3) refuses the row in either tier.
      await writes.delete('t:1');
      expect(await c.get('t:1')).toBeUndefined();
      expect(await c.get('t:2')).toBe('two');
      await l3.close();
      await writes.close();
    }
  });

  it('delete reports false for an entry only a tag stamp invalidated (found by the model test)', async () => {
    const cache = track(createCache({ namespace: namespace(), l2: { redis: redisUrl() }, l3: { driver: 'sqlite', path: join(directory, 'del.db') } }));
    await cache.set('a', '', { tags: ['t2'] });
    await cache.invalidateByTag('t2');
    expect(await cache.delete('a')).toBe(false);
    expect(await cache.getOrSet('a', () => 0)).toBe(0);
  });

  it('an L2 entry written before a tag invalidation is refused even if its delete was missed', async () => {
    const name = namespace();
    const l2 = createRedisTier({ redis: redisUrl(), namespace: name });
    const cache = track(createCache({ namespace: name, l1: false, l2: { redis: redisUrl() } }));
    const now = Date.now();
    await l2.set('late', { value: 'v', createdAt: now - 1000, expiresAt: now + 60_000, staleUntil: now + 60_000, tags: ['x'] });
    await l2.invalidateTag('x');
    expect(await cache.get('late')).toBeUndefined();
    await l2.close();
  });

  it('emits set/hit/miss events and counts them in analytics', async () => {
    const cache = track(createCache({ namespace: namespace(), l2: { redis: redisUrl() } }));
    const events: string[] = [];
    cache.on('set', (key) => events.push(`set:${key}`));
    cache.on('hit', (key, tier) => events.push(`hit:${key}:${tier}`));
    cache.on('miss', (key) => events.push(`miss:${key}`));
    const accesses: Array<CacheHookEvents['tierAccess']> = [];
    cache.addHook({ tierAccess: (event) => accesses.push(event) });
    await cache.get('k');
    await cache.set('k', 1);
    await cache.get('k');
    expect(events).toEqual(['miss:k', 'set:k', 'hit:k:l1']);
    expect(accesses.map((access) => `${access.tier}:${access.hit}`)).toEqual(['l1:false', 'l2:false', 'l1:true']);
    const analytics = cache.getAnalytics();
    expect(analytics).toMatchObject({ hits: 1, misses: 1, hitRate: 0.5 });
    expect(analytics.tiers.l1).toMatchObject({ hits: 1, misses: 1 });
    expect(analytics.tiers.l2).toMatchObject({ hits: 0, misses: 1, errors: 0, available: true });
  });

  it('counts L1 hits without any hook, samples L1 latency, and stops emitting hit events once unsubscribed', async () => {
    const cache = track(createCache({ namespace: namespace() }));
    await cache.set('fast', { n: 1 });
    const hits: string[] = [];
    const onHit = (key: string) => void hits.push(key);
    cache.on('hit', onHit);
    expect(await cache.getOrSet('fast', async () => ({ n: 2 }))).toEqual({ n: 1 });
    cache.off('hit', onHit);
    for (let index = 0; index < 200; index++) await cache.getOrSet('fast', async () => ({ n: 2 }));
    expect(await cache.get('fast')).toEqual({ n: 1 });
    expect(hits).toEqual(['fast']);
    const analytics = cache.getAnalytics();
    expect(analytics).toMatchObject({ hits: 202, misses: 0 });
    expect(analytics.tiers.l1).toMatchObject({ hits: 202, misses: 0 });
    expect(analytics.tiers.l1!.latencyAvgMs).toBeGreaterThan(0); // 202 reads include sampled ones (1 in 64)
    cache.on('miss', (key) => void hits.push(`miss:${key}`));
    cache.removeAllListeners('miss');
    expect(await cache.get('absent')).toBeUndefined();
    expect(hits).toEqual(['fast']);
  });

  it('keeps L1 values in the shape L2 returns (a serialised copy)', async () => {
    const cache = track(createCache({ namespace: namespace(), l2: { redis: redisUrl() } }));
    const value = { at: new Date('2026-01-01T00:00:00Z'), list: [1] };
    await cache.set('shape', value);
    value.list.push(2);
    expect(await cache.get('shape')).toEqual({ at: '2026-01-01T00:00:00.000Z', list: [1] });
  });

  it('refuses Map values and undefined instead of storing something else', async () => {
    const cache = track(createCache({ namespace: namespace() }));
    await expect(cache.set('m', new Map([[1, 2]]))).rejects.toMatchObject({ code: 'E_UNSERIALIZABLE_VALUE' });
    await expect(cache.set('u', undefined)).rejects.toMatchObject({ code: 'E_UNSERIALIZABLE_VALUE' });
    await expect(cache.set('ttl', 1, { ttl: '5' as unknown as number })).rejects.toMatchObject({ code: 'E_INVALID_TTL' });
    await expect(cache.invalidateByTag('')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(cache.getOrSet('', async () => 1)).rejects.toMatchObject({ code: 'E_INVALID_KEY' });
    let loaderCalls = 0;
    const loader = async () => ++loaderCalls;
    await expect(cache.getOrSet('k', loader, { ttl: -5 })).rejects.toMatchObject({ code: 'E_INVALID_TTL' });
    await expect(cache.getOrSet('k', loader, { grace: Number.NaN })).rejects.toMatchObject({ code: 'E_INVALID_TTL' });
    await expect(cache.getOrSet('k', loader, { tags: [''] })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(cache.set('k', 1, { priority: 'urgent' as 'high' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(loaderCalls).toBe(0);
    expect(await cache.get('k')).toBeUndefined();
    await expect(cache.set('x'.repeat(2000), 1)).rejects.toMatchObject({ code: 'E_INVALID_KEY' });
  });

  it('is a CacheStore and a CacheStatsSource for @wai/metrics-core', async () => {
    const cache = track(createCache({ namespace: namespace() }));
    const store: CacheStore = cache;
    const source: CacheStatsSource = cache;
    await store.set('typed', { ok: true }, { ttl: 5, tags: ['t'] });
    expect(await store.get('typed')).toEqual({ ok: true });
    expect(source.getAnalytics().hits).toBe(1);
  });

  it('warms through cache.warm(): warmed entries reach L2 and the strategy is listed', async () => {
    const name = namespace();
    const cache = track(createCache({ namespace: name, l2: { redis: redisUrl() } }));
    cache.addWarmingStrategy({
      name: 'popular',
      patterns: ['workshop:popular:*'],
      priority: 1,
      warmupFunction: () => [{ key: 'workshop:popular:1', value: { id: 1 }, ttl: 60, tags: ['workshop'] }],
    });
    const [result] = await cache.warm('popular');
    expect(result).toMatchObject({ strategy: 'popular', keysWarmed: 1, errors: [] });
    expect(cache.listWarmingStrategies().map((strategy) => strategy.name)).toEqual(['popular']);
    const l2 = createRedisTier({ redis: redisUrl(), namespace: name });
    expect((await l2.get('workshop:popular:1'))?.value).toEqual({ id: 1 });
    await l2.close();
    await expect(cache.warm('unknown')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('close() leaves clients passed in open', async () => {
    const client = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    const cache = createCache({ namespace: namespace(), l2: { redis: client }, bus: true });
    await cache.set('x', 1);
    await cache.close();
    expect(await client.ping()).toBe('PONG');
    await expect(cache.get('x')).rejects.toThrow(/closed/);
    client.disconnect();
  });
});
