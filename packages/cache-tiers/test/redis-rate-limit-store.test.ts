import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { createFakeClock } from '@wai/metrics-core/testing';
import { redisUrl, startRedisCluster, testRedis, type RedisClusterHandle } from '@wai/test-services';
import { redisRateLimitStore } from '../src/redis-rate-limit-store.js';

describe('redisRateLimitStore', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let second: Redis;
  beforeAll(async () => {
    redis = await testRedis('rate-limit');
    second = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    second.disconnect();
    await redis.close();
  });

  it('shares one limit between two stores (two clients, as two instances would) and slides the window', async () => {
    const clock = createFakeClock(1_700_000_000_000 - (1_700_000_000_000 % 60_000)); // at a window start
    const a = redisRateLimitStore(redis.client, { prefix: redis.prefix, clock });
    const b = redisRateLimitStore(second, { prefix: redis.prefix, clock });
    for (let index = 0; index < 5; index++) await a.increment('client:1', 60_000);
    const hit = await b.increment('client:1', 60_000);
    expect(hit).toEqual({ count: 6, resetInMs: 60_000 });
    // Other keys and other window lengths are separate counters.
    expect((await b.increment('client:2', 60_000)).count).toBe(1);
    expect((await b.increment('client:1', 1000)).count).toBe(1);
    // A quarter into the next window the previous window weighs 0.75.
    clock.advance(75_000);
    const rolled = await a.increment('client:1', 60_000);
    expect(rolled.count).toBeCloseTo(6 * 0.75 + 1, 10);
    expect(rolled.resetInMs).toBe(45_000);
    // Two windows later nothing is left.
    clock.advance(120_000);
    expect((await b.increment('client:1', 60_000)).count).toBe(1);
    await a.close();
  });

  it('is atomic: 300 concurrent increments from two clients count exactly 300', async () => {
    const clock = createFakeClock(1_700_000_040_000 - (1_700_000_040_000 % 3_600_000));
    const a = redisRateLimitStore(redis.client, { prefix: redis.prefix, clock });
    const b = redisRateLimitStore(second, { prefix: redis.prefix, clock });
    const hits = await Promise.all(Array.from({ length: 300 }, (_, index) => (index % 2 === 0 ? a : b).increment('burst', 3_600_000)));
    expect(Math.max(...hits.map((hit) => hit.count))).toBe(300);
    expect(new Set(hits.map((hit) => hit.count)).size).toBe(300);
  });

  it('decrements (never below zero), resets, and expires its hash after two windows', async () => {
    const clock = createFakeClock(1_700_000_000_000 - (1_700_000_000_000 % 10_000));
    const store = redisRateLimitStore(redis.client, { prefix: redis.prefix, clock });
    await store.increment('d', 10_000);
    await store.increment('d', 10_000);
    await store.decrement('d', 10_000);
    expect((await store.increment('d', 10_000)).count).toBe(2);
    for (let index = 0; index < 5; index++) await store.decrement('d', 10_000);
    expect((await store.increment('d', 10_000)).count).toBe(1);
    await store.decrement('never-seen', 10_000);
    expect(await redis.client.exists(`${redis.prefix}never-seen`)).toBe(0);
    const ttl = await redis.client.pttl(`${redis.prefix}d`);
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(20_000);
    await store.reset('d');
    expect(await redis.client.exists(`${redis.prefix}d`)).toBe(0);
  });

  it("uses the Redis server's clock when no clock is given", async () => {
    const store = redisRateLimitStore(redis.client, { prefix: redis.prefix });
    const first = await store.increment('server-time', 60_000);
    const next = await store.increment('server-time', 60_000);
    expect(next.count).toBeGreaterThan(first.count);
    expect(next.count).toBeLessThanOrEqual(first.count + 1);
    expect(next.resetInMs).toBeGreaterThan(0);
    expect(next.resetInMs).toBeLessThanOrEqual(60_000);
  });

  it('rejects bad keys, windows and clients with typed errors', async () => {
    const store = redisRateLimitStore(redis.client, { prefix: redis.prefix });
    await expect(store.increment('', 1000)).rejects.toMatchObject({ code: 'E_INVALID_KEY' });
    await expect(store.increment('k', 0)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(store.increment('k', 1.5)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(store.reset('')).rejects.toMatchObject({ code: 'E_INVALID_KEY' });
    expect(() => redisRateLimitStore({} as never)).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
  });
});

describe('redisRateLimitStore on Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
  }, 30_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.close();
  });

  it('counts keys spread over every slot without CROSSSLOT errors', async () => {
    const clock = createFakeClock(1_700_000_000_000 - (1_700_000_000_000 % 60_000));
    const store = redisRateLimitStore(client, { prefix: 'rl:', clock });
    const keys = Array.from({ length: 30 }, (_, index) => `user:${index}`);
    for (let round = 0; round < 3; round++) await Promise.all(keys.map((key) => store.increment(key, 60_000)));
    const hits = await Promise.all(keys.map((key) => store.increment(key, 60_000)));
    expect(hits.every((hit) => hit.count === 4)).toBe(true);
    await Promise.all(keys.map((key) => store.reset(key)));
  });
});
