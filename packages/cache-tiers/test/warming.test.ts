import { describe, expect, it } from 'vitest';
import { createFakeClock } from '@wai/metrics-core/testing';
import { createCache } from '../src/cache.js';
import { createWarmingManager } from '../src/warming/warming-manager.js';
import { compileKeyPatterns } from '../src/warming/key-pattern.js';
import { cacheWarming } from '../src/warming/warming-plugin.js';

describe('createWarmingManager', () => {
  it('runs enabled strategies in priority order, reports keys warmed, and fills the cache', async () => {
    const cache = createCache({ l1: { maxSize: 100 } });
    const warming = createWarmingManager({ cache });
    const order: string[] = [];
    warming.addWarmingStrategy({
      name: 'popular-workshops',
      description: 'top workshops',
      patterns: ['workshop:popular:*'],
      priority: 1,
      warmupFunction: async (context) => {
        order.push('popular-workshops');
        for (const id of [1, 2, 3]) await context.set(`workshop:popular:${id}`, { id }, { ttl: 60 });
      },
    });
    warming.addWarmingStrategy({
      name: 'config',
      priority: 10,
      warmupFunction: () => {
        order.push('config');
        return [{ key: 'config:site', value: { title: 'x' }, ttl: 300 }];
      },
    });
    warming.addWarmingStrategy({ name: 'disabled', enabled: false, warmupFunction: () => void order.push('disabled') });
    const results = await warming.warm();
    expect(order).toEqual(['config', 'popular-workshops']);
    expect(results.map(({ strategy, keysWarmed, errors }) => ({ strategy, keysWarmed, errors }))).toEqual([
      { strategy: 'config', keysWarmed: 1, errors: [] },
      { strategy: 'popular-workshops', keysWarmed: 3, errors: [] },
    ]);
    expect(results.every((result) => result.durationMs >= 0)).toBe(true);
    expect(await cache.get('workshop:popular:2')).toEqual({ id: 2 });
    expect(await cache.get('config:site')).toEqual({ title: 'x' });
    // Named explicitly, a disabled strategy runs.
    expect((await warming.warm('disabled'))[0]?.strategy).toBe('disabled');
    expect(warming.listWarmingStrategies().map((strategy) => strategy.name)).toEqual(['config', 'popular-workshops', 'disabled']);
    await warming.close();
    await cache.close();
  });

  it('keeps going when one strategy throws, times out or writes outside its patterns', async () => {
    const clock = createFakeClock();
    const written: string[] = [];
    const warming = createWarmingManager({ cache: { set: async (key) => void written.push(key) }, clock });
    warming.addWarmingStrategy({ name: 'broken', priority: 3, warmupFunction: () => Promise.reject(new Error('database down')) });
    warming.addWarmingStrategy({ name: 'hangs', priority: 2, timeoutMs: 1000, warmupFunction: () => new Promise(() => undefined) });
    warming.addWarmingStrategy({
      name: 'strays',
      priority: 1,
      patterns: ['user:*'],
      warmupFunction: async (context) => {
        await context.set('user:1', 1);
        await context.set('admin:1', 1);
      },
    });
    const pending = warming.warm();
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(1000);
    const results = await pending;
    expect(results.map((result) => result.strategy)).toEqual(['broken', 'hangs', 'strays']);
    expect(results[0]?.errors).toEqual(['database down']);
    expect(results[1]?.errors).toEqual(['timed out after 1000 ms']);
    expect(results[2]).toMatchObject({ keysWarmed: 1, errors: ['key "admin:1" does not match the strategy\'s patterns'] });
    expect(written).toEqual(['user:1']);
    await warming.close();
  });

  it('answers an unknown strategy with E_NOT_FOUND, removes strategies, and refuses bad ones', async () => {
    const warming = createWarmingManager({ cache: { set: async () => undefined } });
    await expect(warming.warm('nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND', statusCode: 404 });
    warming.addWarmingStrategy({ name: 'a', warmupFunction: () => undefined });
    expect(() => warming.addWarmingStrategy({ name: 'a', warmupFunction: () => undefined })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => warming.addWarmingStrategy({ name: '', warmupFunction: () => undefined })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => warming.addWarmingStrategy({ name: 'b' } as never)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => warming.addWarmingStrategy({ name: 'c', patterns: [''], warmupFunction: () => undefined })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(warming.removeWarmingStrategy('a')).toBe(true);
    expect(warming.removeWarmingStrategy('a')).toBe(false);
    await expect(warming.warm('a')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect(() => createWarmingManager({ cache: { set: async () => undefined }, intervalMs: -1 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    await warming.close();
  });

  it('warms on its interval (unref\'d clock timer) and joins a run already in progress', async () => {
    const clock = createFakeClock();
    let runs = 0;
    let release: () => void = () => undefined;
    const warming = createWarmingManager({ cache: { set: async () => undefined }, clock, intervalMs: 60_000 });
    warming.addWarmingStrategy({
      name: 'slow',
      warmupFunction: () => {
        runs++;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    clock.advance(60_000);
    const joined = warming.warm('slow');
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(1);
    release();
    expect((await joined)[0]?.strategy).toBe('slow');
    await warming.close();
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('warming through createCache', () => {
  it('exposes addWarmingStrategy / warm / listWarmingStrategies / removeWarmingStrategy on the cache', async () => {
    const cache = createCache({ l1: { maxSize: 100 } });
    cache.addWarmingStrategy({
      name: 'site',
      description: 'site settings',
      patterns: ['config:*'],
      warmupFunction: async ({ set }) => set('config:site', { title: 'Workshops' }, { ttl: 60 }),
    });
    expect(cache.listWarmingStrategies().map((strategy) => strategy.name)).toEqual(['site']);
    expect(await cache.warm('site')).toMatchObject([{ strategy: 'site', keysWarmed: 1, errors: [] }]);
    expect(await cache.get('config:site')).toEqual({ title: 'Workshops' });
    await expect(cache.warm('missing')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect(cache.removeWarmingStrategy('site')).toBe(true);
    expect(await cache.warm()).toEqual([]);
    await cache.close();
  });

  it('is a plugin: `warming: false` leaves it out (strategies refused with E_CONFIG_INVALID), and a plugin may supply it', async () => {
    const without = createCache({ l1: { maxSize: 10 }, warming: false });
    expect(() => without.addWarmingStrategy({ name: 'x', warmupFunction: () => undefined })).toThrow(/warming is off/);
    await expect(without.warm()).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
    expect(without.listWarmingStrategies()).toEqual([]);
    expect(without.removeWarmingStrategy('x')).toBe(false);
    await without.close();

    // The same plugin, installed by hand with its own interval: runs on the (fake) clock, closed with the cache.
    const clock = createFakeClock();
    const runs: number[] = [];
    const cache = createCache({ l1: { maxSize: 10 }, warming: false, clock, plugins: [cacheWarming({ intervalMs: 1000 })] });
    cache.addWarmingStrategy({ name: 'tick', warmupFunction: ({ set }) => set('tick', runs.push(clock.now())) });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    for (let step = 0; step < 5; step++) {
      clock.advance(500);
      await settle();
    }
    expect(runs.length).toBe(2);
    expect(await cache.get('tick')).toBe(2);
    await cache.close();
    clock.advance(5000);
    await settle();
    expect(runs.length).toBe(2);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('compileKeyPatterns', () => {
  it('a warming run is a fill: a key written or invalidated while the strategy queried is not overwritten', async () => {
    const cache = createCache({ namespace: 'warm-race' });
    let release!: () => void;
    const queried = new Promise<void>((resolve) => (release = resolve));
    let read!: () => void;
    const hasRead = new Promise<void>((resolve) => (read = resolve));
    cache.addWarmingStrategy({
      name: 'slow',
      patterns: ['w:*'],
      async warmupFunction(context) {
        const snapshot = { a: 'old', b: 'old', c: 'old' }; // what the query returned before the writes below
        read();
        await queried;
        for (const [key, value] of Object.entries(snapshot)) await context.set(`w:${key}`, value, { tags: [`t:${key}`] });
      },
    });
    const run = cache.warm('slow');
    await hasRead;
    await cache.set('w:a', 'new');
    await cache.invalidateByTag('t:b');
    release();
    const [result] = await run;
    expect(await cache.get('w:a')).toBe('new');
    expect(await cache.get('w:b')).toBeUndefined();
    expect(await cache.get('w:c')).toBe('old');
    expect(result?.keysWarmed).toBe(1);
    await cache.close();
  });

  it('matches globs literally except * and ?', () => {
    const matches = compileKeyPatterns(['workshop:popular:*', 'user:?:profile']);
    expect(matches('workshop:popular:12')).toBe(true);
    expect(matches('workshop:recent:12')).toBe(false);
    expect(matches('user:1:profile')).toBe(true);
    expect(matches('user:12:profile')).toBe(false);
    expect(compileKeyPatterns(['a.b'])('axb')).toBe(false);
  });
});
