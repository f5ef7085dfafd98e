import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '@wai/metrics-core/testing';
import { testRedis } from '@wai/test-services';
import { createCache } from '../src/cache.js';
import { cacheAnalytics } from '../src/analytics/cache-analytics.js';
import { createMissRatioCurve } from '../src/analytics/shards-mrc.js';
import { createTopKeys } from '../src/analytics/space-saving.js';
import { zipfTrace } from '../bench/traces.js';
import { LRUCache } from 'lru-cache';

describe('createTopKeys (Space-Saving)', () => {
  it('finds the heavy hitters of a skewed stream with bounded counters', () => {
    const top = createTopKeys(32);
    for (let round = 0; round < 200; round++) {
      top.offer('a');
      if (round % 2 === 0) top.offer('b');
      if (round % 4 === 0) top.offer('c');
      for (let noise = 0; noise < 5; noise++) top.offer(`noise:${round}:${noise}`);
    }
    expect(top.size).toBe(32);
    const [first, second, third] = top.top(3);
    expect(first).toMatchObject({ key: 'a' });
    expect(second).toMatchObject({ key: 'b' });
    expect(third).toMatchObject({ key: 'c' });
    // Space-Saving's guarantee: count - error <= true count <= count.
    expect((first?.count ?? 0) - (first?.error ?? 0)).toBeLessThanOrEqual(200);
    expect(first?.count).toBeGreaterThanOrEqual(200);
  });
});

describe('createMissRatioCurve (SHARDS)', () => {
  it('estimates the LRU hit rate of a Zipf stream within a few points from a 10 % sample', () => {
    const trace = Array.from(zipfTrace(200_000, 20_000, 0.9, 7), (id) => `k${id}`);
    const mrc = createMissRatioCurve({ rate: 0.1, maxTracked: 8192 });
    for (const key of trace) mrc.access(key);
    expect(mrc.samples).toBeGreaterThan(10_000);
    expect(mrc.samples).toBeLessThan(40_000);
    for (const size of [500, 2000, 8000]) {
      const lru = new LRUCache<string, true>({ max: size });
      let hits = 0;
      for (const key of trace) {
        if (lru.get(key)) hits++;
        else lru.set(key, true);
      }
      const estimated = mrc.curve([size])[0]?.hitRate ?? 0;
      expect(Math.abs(estimated - hits / trace.length)).toBeLessThan(0.03);
    }
  });
});

describe('cacheAnalytics plugin', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  beforeAll(async () => {
    redis = await testRedis('analytics');
  });
  afterAll(async () => {
    await redis.close();
  });

  it('reports top keys, per-prefix traffic, latency p99 per tier and a miss-ratio curve in CacheAnalytics', async () => {
    const cache = createCache({
      namespace: redis.prefix.replace(/[^a-zA-Z0-9_-]/g, '_'),
      l1: { maxSize: 100 },
      l2: { redis: redis.client },
      plugins: [cacheAnalytics({ mrcRate: 1, exact: true })],
    });
    try {
      for (let round = 0; round < 5; round++) {
        await cache.getOrSet('user:1:profile', () => ({ name: 'ada' }), { ttl: 60 });
        await cache.getOrSet('user:1:profile', () => ({ name: 'ada' }), { ttl: 60 });
        for (let index = 0; index < 3; index++) await cache.getOrSet(`workshop:${index}`, () => index, { ttl: 60 });
      }
      await cache.get('missing:1');
      const analytics = cache.getAnalytics();
      expect(analytics.topKeys?.[0]).toEqual({ key: 'user:1:profile', count: 10 });
      const patterns = new Map(analytics.accessPatterns?.map((pattern) => [pattern.prefix, pattern]));
      expect(patterns.get('workshop')).toMatchObject({ requests: 15, hitRate: 12 / 15 });
      expect(patterns.get('user')).toMatchObject({ requests: 10, hitRate: 9 / 10 });
      expect(patterns.get('missing')).toMatchObject({ requests: 1, hitRate: 0 });
      expect(analytics.tiers.l1?.latencyP99Ms).toBeGreaterThanOrEqual(0);
      expect(analytics.tiers.l2?.latencyP99Ms).toBeGreaterThan(0);
      expect(analytics.loads?.latencyP99Ms).toBeGreaterThanOrEqual(0);
      expect(analytics.config).toMatchObject({ l1MaxSize: 100 });
      // 5 distinct keys, 26 accesses: an LRU of 25+ entries hits every repeat (21 of 26).
      const curve = analytics.missRatioCurve ?? [];
      expect(curve.map((point) => point.size)).toEqual([25, 50, 100, 200, 400, 800]);
      expect(curve[0]?.hitRate).toBeCloseTo(21 / 26, 5);
    } finally {
      await cache.close();
    }
  });

  it('is on by default, fed by a sample: top keys of a Zipf(0.9) workload found (recall >= 0.9), prefixes counted without bias', async () => {
    const cache = createCache({ l1: { maxSize: 20_000 } });
    const off = createCache({ l1: { maxSize: 100 }, analytics: false });
    try {
      // Zipf(0.9) over 5,000 keys, drawn with a seeded generator so the run is repeatable.
      const keys = 5000;
      const weights = Array.from({ length: keys }, (_, rank) => 1 / (rank + 1) ** 0.9);
      const total = weights.reduce((sum, weight) => sum + weight, 0);
      const cumulative: number[] = [];
      let running = 0;
      for (const weight of weights) cumulative.push((running += weight / total));
      let seed = 42;
      const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
      const exact = new Map<string, number>();
      let userRequests = 0;
      for (let index = 0; index < 200_000; index++) {
        const draw = random();
        let low = 0;
        let high = keys - 1;
        while (low < high) {
          const middle = (low + high) >> 1;
          if (cumulative[middle]! < draw) low = middle + 1;
          else high = middle;
        }
        const key = low % 4 === 0 ? `user:${low}` : `item:${low}`;
        if (key.startsWith('user:')) userRequests++;
        exact.set(key, (exact.get(key) ?? 0) + 1);
        await cache.getOrSet(key, () => low, { ttl: 600 });
      }
      const analytics = cache.getAnalytics();
      const truth = [...exact].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([key]) => key);
      const found = new Set(analytics.topKeys?.map((entry) => entry.key));
      const recall = truth.filter((key) => found.has(key)).length / truth.length;
      expect(recall).toBeGreaterThanOrEqual(0.9);
      const users = analytics.accessPatterns?.find((pattern) => pattern.prefix === 'user');
      // Unbiased: each sampled hit counts 32 times, each miss once; within 5 % of the exact count.
      expect(Math.abs(users!.requests - userRequests) / userRequests).toBeLessThan(0.05);
      await off.getOrSet('a:1', () => 1);
      await off.getOrSet('a:1', () => 1);
      expect(off.getAnalytics().topKeys).toBeUndefined();
    } finally {
      await cache.close();
      await off.close();
    }
  });

  it("marks topKeys at or above the cache's l1.hotKeyThreshold as hot and reports the threshold", async () => {
    const cache = createCache({ l1: { maxSize: 100, hotKeyThreshold: 5 }, accessSamplePeriod: 1 });
    try {
      for (let index = 0; index < 5; index++) await cache.getOrSet('often', () => 1);
      for (let index = 0; index < 2; index++) await cache.getOrSet('rarely', () => 2);
      const analytics = cache.getAnalytics();
      expect(analytics.topKeys).toEqual([
        { key: 'often', count: 5, hot: true },
        { key: 'rarely', count: 2, hot: false },
      ]);
      expect(analytics.config).toMatchObject({ hotKeyThreshold: 5, l1MaxSize: 100 });
    } finally {
      await cache.close();
    }
  });

  it('a cacheAnalytics() plugin replaces the default one; accessSamplePeriod is checked', async () => {
    let extended = 0;
    const cache = createCache({ l1: { maxSize: 10 }, accessSamplePeriod: 1, plugins: [cacheAnalytics({ topKeysLimit: 1 }), () => ({ analytics: (base) => (extended++, base) })] });
    try {
      for (let index = 0; index < 3; index++) await cache.getOrSet('k:1', () => 1);
      await cache.getOrSet('k:2', () => 2);
      // One collector (its limit of 1 applies), exact with a period of 1.
      expect(cache.getAnalytics().topKeys).toEqual([{ key: 'k:1', count: 3 }]);
      expect(extended).toBe(1);
    } finally {
      await cache.close();
    }
    expect(() => createCache({ accessSamplePeriod: 3 })).toThrow(/accessSamplePeriod must be a power of two/);
    expect(() => createCache({ accessSamplePeriod: 0 })).toThrow(/accessSamplePeriod/);
  });

  it('counts misses of keys requested again right after their TTL ran out (TTL effectiveness)', async () => {
    const clock = createFakeClock();
    const cache = createCache({ l1: { maxSize: 100 }, clock, plugins: [cacheAnalytics()] });
    try {
      await cache.getOrSet('session:a', () => 1, { ttl: 10 });
      await cache.getOrSet('report:a', () => 1, { ttl: 10 });
      clock.advance(11_000);
      await cache.getOrSet('session:a', () => 2, { ttl: 10 }); // expired while still requested
      await cache.delete('report:a');
      await cache.getOrSet('report:a', () => 2, { ttl: 10 }); // a delete, not an expiry
      const patterns = new Map(cache.getAnalytics().accessPatterns?.map((pattern) => [pattern.prefix, pattern]));
      expect(patterns.get('session')).toMatchObject({ expiredWhileHot: 1, ttlEffectiveness: 0.5 });
      expect(patterns.get('report')).toMatchObject({ expiredWhileHot: 0, ttlEffectiveness: 1 });
    } finally {
      await cache.close();
    }
  });
});
