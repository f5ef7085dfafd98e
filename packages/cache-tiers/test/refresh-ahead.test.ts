import { describe, expect, it } from 'vitest';
import { createFakeClock } from '@wai/metrics-core/testing';
import { createCache } from '../src/cache.js';
import { refreshAhead } from '../src/refresh-ahead/refresh-ahead.js';

describe('refreshAhead', () => {
  const run = async (withPlugin: boolean) => {
    const clock = createFakeClock();
    const plugin = refreshAhead({ threshold: 0.8, minHits: 2 });
    const cache = createCache({ l1: { maxSize: 100 }, clock, plugins: withPlugin ? [plugin] : [] });
    let loads = 0;
    const loader = () => ++loads;
    const read = () => cache.getOrSet('hot:key', loader, { ttl: 10, predictive: true, tags: ['hot'] });
    let misses = 0;
    cache.addHook({ access: (event) => void (event.hit ? undefined : misses++) });
    // A popular key read every second for 35 s with a 10 s TTL.
    for (let second = 0; second < 35; second++) {
      await read();
      await read();
      await plugin.idle();
      clock.advance(1000);
    }
    const entry = await cache.getEntry('hot:key');
    await cache.close();
    return { loads, misses, plugin, entry };
  };

  it('reloads a hot key in the background after 80 % of its TTL, so its readers never miss after the first load', async () => {
    const withPlugin = await run(true);
    expect(withPlugin.misses).toBe(1);
    expect(withPlugin.plugin.stats()).toMatchObject({ failures: 0 });
    expect(withPlugin.loads).toBeGreaterThanOrEqual(4);
    // The refreshed entry kept its TTL and tags.
    expect(withPlugin.entry?.tags).toEqual(['hot']);
    expect((withPlugin.entry?.expiresAt ?? 0) - (withPlugin.entry?.createdAt ?? 0)).toBe(10_000);

    const without = await run(false);
    expect(without.misses).toBe(4);
  });

  it('leaves cold keys (below minHits) and keys without a remembered loader alone', async () => {
    const clock = createFakeClock();
    const plugin = refreshAhead({ minHits: 5 });
    const cache = createCache({ l1: { maxSize: 100 }, clock, plugins: [plugin] });
    let loads = 0;
    await cache.getOrSet('cold', () => ++loads, { ttl: 10, predictive: true });
    await cache.set('no-loader', 1, { ttl: 10 });
    clock.advance(9000);
    for (let index = 0; index < 3; index++) await cache.get('cold');
    for (let index = 0; index < 10; index++) await cache.get('no-loader');
    await plugin.idle();
    expect(loads).toBe(1);
    expect(plugin.stats().refreshes).toBe(0);
    await cache.close();
  });

  it("takes the cache's l1.hotKeyThreshold as its minHits: a key below it is not refreshed, one at it is", async () => {
    const clock = createFakeClock();
    const plugin = refreshAhead();
    const cache = createCache({ l1: { maxSize: 100, hotKeyThreshold: 4 }, clock, plugins: [plugin] });
    const loads = new Map<string, number>();
    const loader = (key: string) => () => loads.set(key, (loads.get(key) ?? 0) + 1).get(key);
    await cache.getOrSet('warm', loader('warm'), { ttl: 10, predictive: true });
    await cache.getOrSet('hot', loader('hot'), { ttl: 10, predictive: true });
    clock.advance(9000); // past 80 % of the TTL
    for (let index = 0; index < 3; index++) await cache.get('warm'); // 3 hits: below 4
    for (let index = 0; index < 4; index++) await cache.get('hot'); // 4 hits: hot
    await plugin.idle();
    expect(loads.get('warm')).toBe(1);
    expect(loads.get('hot')).toBe(2);
    await cache.close();
    expect(() => createCache({ l1: { hotKeyThreshold: 0 } })).toThrow(/hotKeyThreshold must be an integer >= 1/);
  });

  it('rejects bad options', () => {
    expect(() => refreshAhead({ threshold: 1 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => refreshAhead({ minHits: 0 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
  });
});
