import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from '@wai/test-services';
import { createCache, type Cache } from '../src/cache.js';
import type { SyncCacheTier } from '../src/tier.js';

const COMMAND_TIMEOUT = 100;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('tier failure: redis-server killed mid-run', () => {
  let server: RedisServerHandle;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(async () => {
    server = await startRedisServer();
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await server?.close();
  });

  it('keeps answering within the timeout, recovers L2, and honours a tag invalidated during the outage', async () => {
    const make = () =>
      createCache({
        namespace: 'fault',
        l2: { redis: server.url },
        bus: true,
        commandTimeout: COMMAND_TIMEOUT,
        writeTimeout: COMMAND_TIMEOUT,
        circuitBreaker: { failureThreshold: 2, resetTimeout: 150 },
      });
    const a: Cache = make();
    const b: Cache = make();
    const events: string[] = [];
    for (const [label, cache] of [['a', a], ['b', b]] as const) {
      cache.on('tier:down', (tier) => events.push(`${label}:down:${tier}`));
      cache.on('tier:up', (tier) => events.push(`${label}:up:${tier}`));
      cache.on('error', () => {}); // errors are reported as events; listening keeps them from being thrown
    }
    await sleep(50);
    await a.set('profile', 'v1', { tags: ['user:1'], ttl: 60 });
    await sleep(30); // A's 'set' message reaches B first (a back-fill racing it is refused)
    expect(await b.get('profile')).toBe('v1'); // now in B's L1 too
    const l1OfB = b.tiers[0]!.tier as SyncCacheTier;
    expect(l1OfB.getSync('profile')).toBeDefined();

    await server.kill();

    const durations: number[] = [];
    const timed = async <T>(work: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await work();
      } finally {
        durations.push(performance.now() - started);
      }
    };
    let loads = 0;
    const loader = async () => ++loads;
    const outageEnds = Date.now() + 600;
    let round = 0;
    let invalidated = false;
    let invalidationMs = Infinity;
    while (Date.now() < outageEnds) {
      round++;
      const calls = [
        timed(() => a.getOrSet(`cold:${round}`, loader)),
        timed(() => b.getOrSet(`cold:${round}`, loader)),
        timed(() => a.getOrSet('warm', loader)),
        timed(() => b.get('profile')),
      ];
      if (!invalidated && round === 3) {
        invalidated = true;
        // A write waits up to `writeTimeout` per step (bus hold, Redis, bus release), not a read's deadline.
        const started = performance.now();
        calls.push(a.invalidateByTag('user:1').then(() => (invalidationMs = performance.now() - started)));
      }
      await Promise.all(calls);
      await sleep(20);
    }
    expect(invalidated).toBe(true);
    expect(Math.max(...durations)).toBeLessThanOrEqual(COMMAND_TIMEOUT + 50);
    expect(invalidationMs).toBeLessThanOrEqual(3 * COMMAND_TIMEOUT + 100);
    expect(events).toContain('a:down:l2');
    expect(events).toContain('b:down:l2');
    expect(a.getAnalytics().tiers.l2?.errors).toBeGreaterThan(0);
    expect(a.getAnalytics().connectionErrors).toBeGreaterThan(0);

    await server.restart();
    const deadline = Date.now() + 5000;
    while (!(events.includes('a:up:l2') && events.includes('b:up:l2')) && Date.now() < deadline) {
      await Promise.all([a.get('probe-traffic'), b.get('probe-traffic')]);
      await sleep(50);
    }
    expect(events).toContain('a:up:l2');
    expect(events).toContain('b:up:l2');

    // L2 is used again: a write on A is in Redis and B reads it.
    await a.set('after', 'restored', { ttl: 60 });
    const direct = new Redis(server.url);
    expect(await direct.exists('{fault}:e:after')).toBe(1);
    expect(await b.get('after')).toBe('restored');
    // The invalidation queued during the outage was replayed: its stamp is in Redis…
    await sleep(100);
    expect(Number(await direct.get('{fault}:s:user:1'))).toBeGreaterThan(0);
    // …and the tagged entry is invalid on every instance (B's L1 was cleared when its bus reconnected).
    expect(await a.get('profile')).toBeUndefined();
    expect(await b.get('profile')).toBeUndefined();
    direct.disconnect();
    await Promise.all([a.close(), b.close()]);
    await sleep(20);
    expect(unhandled).toEqual([]);
  });
});
