import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { redisUrl } from '@wai/test-services';
import { createCache, type Cache } from '../src/cache.js';
import type { SyncCacheTier } from '../src/tier.js';
import { createRedisTier } from '../src/l2/index.js';
import { sleep, testNamespaces, within } from './helpers.js';

const namespaces = testNamespaces('bus');
const caches: Cache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});
afterAll(() => namespaces.cleanup());

/** Two instances sharing Redis; B's L1 is observed directly through its tier list. */
async function pair() {
  const name = namespaces.next();
  const a = createCache({ namespace: name, l2: { redis: redisUrl() }, bus: true });
  const b = createCache({ namespace: name, l2: { redis: redisUrl() }, bus: true });
  caches.push(a, b);
  await Promise.all([a.ready(), b.ready()]);
  const l1OfB = b.tiers[0]!.tier as SyncCacheTier;
  return { a, b, l1OfB };
}

/**
 * A's own 'set' message must reach B before B reads: a back-fill racing a message about its key is refused
 * (correctly: B cannot tell the message is about an older value), which would leave B's L1 empty.
 */
const busDelivered = () => sleep(30);

describe('invalidation bus (bus: true)', () => {
  it('a set on A removes the L1 entry on B within 100 ms', async () => {
    const { a, b, l1OfB } = await pair();
    await a.set('k', 'v1');
    await busDelivered();
    expect(await b.get('k')).toBe('v1');
    expect(l1OfB.getSync('k')?.value).toBe('v1');
    await a.set('k', 'v2');
    expect(await within(100, () => l1OfB.getSync('k') === undefined)).toBeLessThanOrEqual(100);
    expect(await b.get('k')).toBe('v2');
  });

  it('a Redis tier passed in carries the bus (a declared capability); any other tier is refused for `bus`', async () => {
    const name = namespaces.next();
    const shared = createRedisTier({ redis: redisUrl(), namespace: name });
    const a = createCache({ namespace: name, l2: shared, bus: true });
    const b = createCache({ namespace: name, l2: { redis: redisUrl() }, bus: true });
    caches.push(a, b);
    await Promise.all([a.ready(), b.ready()]);
    await b.set('k', 'v1');
    await busDelivered();
    expect(await a.get('k')).toBe('v1');
    await b.set('k', 'v2');
    expect(await within(100, () => (a.tiers[0]!.tier as SyncCacheTier).getSync('k') === undefined)).toBeLessThanOrEqual(100);
    expect(await a.get('k')).toBe('v2');
    // A tier with Redis's methods but without the declaration (a wrapper, a custom tier) cannot serve the bus.
    const { coordinates: _declared, ...lookalike } = shared;
    expect(() => createCache({ namespace: name, l2: lookalike as typeof shared, bus: true })).toThrow(/need the built-in Redis tier/);
    await a.close();
    await shared.close();
  });

  it('a delete on A removes the L1 entry on B within 100 ms', async () => {
    const { a, b, l1OfB } = await pair();
    await a.set('d', 'v');
    await busDelivered();
    await b.get('d');
    expect(l1OfB.getSync('d')).toBeDefined();
    await a.delete('d');
    expect(await within(100, () => l1OfB.getSync('d') === undefined)).toBeLessThanOrEqual(100);
    expect(await b.get('d')).toBeUndefined();
  });

  it('invalidateByTag on A removes tagged L1 entries on B within 100 ms', async () => {
    const { a, b, l1OfB } = await pair();
    await a.set('t1', 1, { tags: ['team:1'] });
    await a.set('t2', 2, { tags: ['team:2'] });
    await busDelivered();
    await b.get('t1');
    await b.get('t2');
    await a.invalidateByTag('team:1');
    expect(await within(100, () => l1OfB.getSync('t1') === undefined)).toBeLessThanOrEqual(100);
    expect(l1OfB.getSync('t2')?.value).toBe(2);
    expect(await b.get('t1')).toBeUndefined();
  });

  it('clear on A empties L1 on B; an instance ignores its own messages', async () => {
    const { a, b, l1OfB } = await pair();
    const l1OfA = a.tiers[0]!.tier as SyncCacheTier;
    await a.set('c', 1);
    await b.get('c');
    await b.set('own', 'b0');
    expect(await a.get('own')).toBe('b0');
    await b.set('own', 'b'); // B's own 'set' message must not drop B's fresh L1 entry…
    expect(await within(100, () => l1OfA.getSync('own') === undefined)).toBeLessThanOrEqual(100); // …but A drops its copy
    await sleep(20);
    expect(l1OfB.getSync('own')?.value).toBe('b');
    await a.clear();
    expect(await within(100, () => l1OfB.size === 0)).toBeLessThanOrEqual(100);
  });
});
