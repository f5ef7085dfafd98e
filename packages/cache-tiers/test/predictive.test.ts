import { describe, expect, it } from 'vitest';
import { createFakeClock } from '@wai/metrics-core/testing';
import { createCache } from '../src/cache.js';
import { predictivePreloading, predictiveWarmingFromEnv } from '../src/predictive/predictive-preloading.js';
import { createSuccessorModel } from '../src/predictive/successor-model.js';
import { mulberry32 } from '../bench/traces.js';

describe('createSuccessorModel', () => {
  it('learns the most frequent next keys with probabilities, bounded per key and in keys', () => {
    const model = createSuccessorModel({ maxKeys: 3, successorsPerKey: 2 });
    for (let index = 0; index < 6; index++) model.observe('a', 'b');
    for (let index = 0; index < 2; index++) model.observe('a', 'c');
    model.observe('a', 'd'); // replaces the least counted successor (c) and inherits its count
    expect(model.predict('a')).toEqual([
      { key: 'b', count: 6, probability: 6 / 9 },
      { key: 'd', count: 3, probability: 3 / 9 },
    ]);
    model.observe('x', 'y');
    model.observe('y', 'z');
    model.observe('z', 'a');
    expect(model.size).toBe(3);
    expect(model.predict('a')).toEqual([]); // 'a' was the least recently observed key
  });

  it('halves counts every agingPeriod observations', () => {
    const model = createSuccessorModel({ agingPeriod: 10 });
    for (let index = 0; index < 9; index++) model.observe('a', 'b');
    model.observe('q', 'r');
    expect(model.predict('a')[0]?.count).toBe(4);
    expect(model.predict('q')).toEqual([]);
  });
});

describe('predictivePreloading', () => {
  /**
   * Sequential access: 40 "tours" of 6 pages each; a visitor walks one tour page by page; pages expire
   * (TTL 30 s) between visits to the same tour, so plain caching misses every page of a returning tour.
   */
  const run = async (enabled: boolean) => {
    const clock = createFakeClock();
    const plugin = predictivePreloading({ enabled, minProbability: 0.3 });
    const cache = createCache({ l1: { maxSize: 10_000 }, clock, plugins: [plugin] });
    const random = mulberry32(11);
    let hits = 0;
    let requests = 0;
    cache.addHook({ access: (event) => void (requests++, event.hit && hits++) });
    for (let visit = 0; visit < 250; visit++) {
      const tour = Math.floor(random() * 40);
      for (let page = 0; page < 6; page++) {
        await cache.getOrSet(`tour:${tour}:page:${page}`, () => ({ tour, page }), { ttl: 30, predictive: true });
        await plugin.idle();
        clock.advance(1000);
      }
      clock.advance(20_000);
    }
    const stats = plugin.stats();
    await cache.close();
    return { hitRate: hits / requests, stats };
  };

  it('raises the hit rate of a sequential workload by prefetching the next page', async () => {
    const without = await run(false);
    const withPrediction = await run(true);
    expect(without.stats.prefetches).toBe(0);
    expect(withPrediction.stats.prefetches).toBeGreaterThan(600);
    expect(withPrediction.stats.usefulPrefetches).toBeGreaterThan(600);
    // Without prediction only pages still fresh from a recent visit of the same tour hit.
    expect(without.hitRate).toBeLessThan(0.35);
    expect(withPrediction.hitRate).toBeGreaterThan(without.hitRate + 0.4);
  });

  it("createCache's `prediction` option (the guide's name) installs it", async () => {
    const hitsWith = async (prediction: { enabled: boolean; modelUpdateInterval?: number }) => {
      const clock = createFakeClock();
      const cache = createCache({ clock, prediction });
      let hits = 0;
      cache.addHook({ access: (event) => void (event.hit && hits++) });
      for (let round = 0; round < 4; round++) {
        for (const key of ['a', 'b', 'c']) {
          await cache.getOrSet(key, async () => key, { ttl: 1, predictive: true });
          await new Promise((resolve) => setTimeout(resolve, 5)); // let a prefetch finish
        }
        clock.advance(2000); // everything expires between rounds
      }
      await cache.close();
      return hits;
    };
    // Without prediction every read misses (TTL 1 s, 2 s between rounds); with it, once a → b → c is learnt,
    // reading a prefetches b, and b prefetches c.
    expect(await hitsWith({ enabled: false })).toBe(0);
    expect(await hitsWith({ enabled: true, modelUpdateInterval: 60_000 })).toBeGreaterThanOrEqual(4);
  });

  it('modelUpdateInterval compacts the model on the clock: a path learnt once fades after a compaction', async () => {
    const clock = createFakeClock();
    const cache = createCache({ clock, prediction: { enabled: true, modelUpdateInterval: 60_000 } });
    const predictions: string[] = [];
    // What the plugin prefetches after reading `x` (loaders are remembered with `predictive: true`).
    const walk = async (path: string[]) => {
      for (const key of path) await cache.getOrSet(key, async () => key, { ttl: 1, predictive: true });
      clock.advance(2000);
    };
    await walk(['x', 'old']); // learnt once: x → old (count 1)
    cache.addHook({ write: (event) => void (event.op === 'set' && predictions.push(event.key)) });
    clock.advance(60_000); // one compaction: counts halved, x → old (1 → 0) dropped
    await walk(['x']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(predictions).toEqual(['x']); // nothing prefetched after x any more
    expect(() => createCache({ prediction: { modelUpdateInterval: 0 } })).toThrow(/modelUpdateInterval/);
    await cache.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('is switched by CACHE_PREDICTIVE_WARMING and rejects a malformed value', () => {
    expect(predictivePreloading({ env: { CACHE_PREDICTIVE_WARMING: 'false' } }).enabled).toBe(false);
    expect(predictivePreloading({ env: { CACHE_PREDICTIVE_WARMING: 'true' } }).enabled).toBe(true);
    expect(predictivePreloading({ env: {} }).enabled).toBe(true);
    expect(predictivePreloading({ enabled: false, env: { CACHE_PREDICTIVE_WARMING: 'true' } }).enabled).toBe(false);
    expect(() => predictiveWarmingFromEnv({ CACHE_PREDICTIVE_WARMING: 'sometimes' })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
  });
});
