import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { createFakeClock } from '@wai/metrics-core/testing';
import { redisUrl, startRedisCluster, startTcpProxy, testRedis, type RedisClusterHandle } from '@wai/test-services';
import { createCircuitBreaker } from '../src/circuit-breaker.js';
import { createCache } from '../src/cache.js';
import { redisRateLimitStore } from '../src/redis-rate-limit-store.js';

const ready = (client: Redis) => (client.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => client.once('ready', () => resolve())));

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
    expect(() => redisRateLimitStore(redis.client, { circuitBreaker: 'yes' as never })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => createCache({ l1: false, l2: { redis: redis.client, circuitBreaker: { failureThreshold: 1 } as never } })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
  });

  it("shares the cache's Redis breaker: on a stalled link the first timed-out command opens it for both, later calls fail at once", async () => {
    const direct = new URL(redisUrl());
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 6379) });
    const COMMAND_TIMEOUT = 40;
    const client = new Redis(proxy.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT });
    client.on('error', () => {});
    const breaker = createCircuitBreaker({ failureThreshold: 1, resetTimeout: 60_000 });
    const store = redisRateLimitStore(client, { prefix: redis.prefix, circuitBreaker: breaker });
    const cache = createCache({ namespace: `${redis.prefix}shared-breaker`, l1: false, l2: { redis: proxy.url, circuitBreaker: breaker }, commandTimeout: COMMAND_TIMEOUT });
    const downs: string[] = [];
    cache.on('tier:down', (tier) => downs.push(tier));
    cache.on('error', () => {});
    try {
      await cache.ready();
      await ready(client);
      expect((await store.increment('stall', 60_000)).count).toBe(1);
      await cache.set('k', 'v');
      proxy.stall();
      // The store's command times out and opens the shared breaker: the cache's tier is down with it...
      await expect(store.increment('stall', 60_000)).rejects.toThrow();
      expect(breaker.state).toBe('open');
      expect(downs).toEqual(['l2']);
      // ...so the cache reads past Redis without waiting for another timeout, and the store fails fast too.
      const started = performance.now();
      expect(await cache.get('k')).toBeUndefined();
      await expect(store.increment('stall', 60_000)).rejects.toMatchObject({ code: 'E_CACHE_L2_UNAVAILABLE' });
      expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT);
    } finally {
      proxy.restore();
      await cache.close();
      client.disconnect();
      await proxy.close();
    }
  });

  it('without a shared breaker, opens its own after failureThreshold failures (the limiter then fails open)', async () => {
    const direct = new URL(redisUrl());
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 6379) });
    const client = new Redis(proxy.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: 30 });
    client.on('error', () => {});
    const store = redisRateLimitStore(client, { prefix: redis.prefix, circuitBreaker: { failureThreshold: 2, resetTimeout: 60_000 } });
    try {
      await ready(client);
      proxy.stall();
      await expect(store.increment('own', 60_000)).rejects.toThrow(/timed out|Command timed out/i);
      await expect(store.increment('own', 60_000)).rejects.toThrow(/timed out|Command timed out/i);
      await expect(store.increment('own', 60_000)).rejects.toMatchObject({ code: 'E_CACHE_L2_UNAVAILABLE' });
    } finally {
      proxy.restore();
      client.disconnect();
      await proxy.close();
    }
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
