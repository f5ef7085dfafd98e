import { afterAll, describe, expect, it } from 'vitest';
import { redisUrl } from '@wai/test-services';
import { createCache } from '../src/cache.js';
import { sleep, testNamespaces } from './helpers.js';

const namespaces = testNamespaces('lease');
const name = namespaces.next();
afterAll(() => namespaces.cleanup());

describe('cross-instance single-flight (Redis lease)', () => {
  it('1,000 callers spread over 4 instances sharing Redis run the loader once', async () => {
    const caches = Array.from({ length: 4 }, () => createCache({ namespace: name, l2: { redis: redisUrl() }, lease: { ttl: 5000, wait: 3000 } }));
    await Promise.all(caches.map((cache) => cache.ready()));
    let calls = 0;
    // A load long enough that no instance's acquire can arrive after the holder has finished and released, even
    // on a machine running two CI passes whose sockets stall for a hundred milliseconds or more.
    const loader = async () => {
      calls++;
      await sleep(500);
      return { value: 'shared' };
    };
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 1000 }, (_, index) => caches[index % 4]!.getOrSet('hot', loader, { ttl: 60 })));
    expect(calls).toBe(1);
    expect(results.every((result) => result.value === 'shared')).toBe(true);
    // Waiters were woken by pub/sub, not by the 3 s bounded wait.
    expect(Date.now() - started).toBeLessThan(2000);
    const prevented = caches.map((cache) => cache.getAnalytics().stampedesPrevented ?? 0).reduce((sum, count) => sum + count, 0);
    expect(prevented).toBe(999);
    await Promise.all(caches.map((cache) => cache.close()));
  });

  it('a waiter loads itself after the bounded wait when the holder never finishes', async () => {
    const holder = createCache({ namespace: name, l1: false, l2: { redis: redisUrl() }, lease: { ttl: 5000, wait: 150 } });
    const waiter = createCache({ namespace: name, l1: false, l2: { redis: redisUrl() }, lease: { ttl: 5000, wait: 150 } });
    await sleep(50);
    let release!: () => void;
    const stuck = holder.getOrSet('stuck', () => new Promise<string>((resolve) => (release = () => resolve('holder'))));
    await sleep(30);
    const started = Date.now();
    expect(await waiter.getOrSet('stuck', async () => 'waiter')).toBe('waiter');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    release();
    expect(await stuck).toBe('holder');
    await holder.close();
    await waiter.close();
  });
});

describe('lease release', () => {
  it('frees the lease when the loader fails or returns an unserialisable value, so others load at once', async () => {
    const [a, b] = [0, 1].map(() => createCache({ namespace: name, l1: false, l2: { redis: redisUrl() }, lease: { ttl: 5000, wait: 2000 } }));
    await Promise.all([a!.ready(), b!.ready()]);
    await expect(a!.getOrSet('bad', async () => ({ n: 1n }))).rejects.toMatchObject({ code: 'E_UNSERIALIZABLE_VALUE' });
    await expect(a!.getOrSet('boom', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await sleep(20);
    const started = Date.now();
    expect(await b!.getOrSet('bad', async () => 'ok')).toBe('ok');
    expect(await b!.getOrSet('boom', async () => 'ok')).toBe('ok');
    expect(Date.now() - started).toBeLessThan(500); // not the 2 s bounded wait
    await a!.close();
    await b!.close();
  });
});
