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
      plugins: [cacheAnalytics({ mrcRate: 1 })],
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
