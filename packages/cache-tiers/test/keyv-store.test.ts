import * as vitest from 'vitest';
import { afterAll, describe, expect, it } from 'vitest';
import Keyv, { type KeyvOptions } from 'keyv';
import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite';
import { pack, unpack } from 'msgpackr';
import { redisUrl } from '@wai/test-services';
import { createCache, createSqliteTier, type Cache, type CacheOptions } from '@wai/cache-tiers';
import { createKeyvStore } from '@wai/cache-tiers/keyv';
import { testNamespaces } from './helpers.js';

const namespaces = testNamespaces('keyv');
const caches: Cache[] = [];
afterAll(async () => {
  await Promise.all(caches.map((cache) => cache.close()));
  await namespaces.cleanup();
});

function cacheWith(options: Omit<CacheOptions, 'namespace'>): Cache {
  const cache = createCache({ namespace: namespaces.next(), ...options });
  caches.push(cache);
  return cache;
}

/** Keyv with its serialisation off: the store receives `{ value, expires }` objects, Buffers included. */
class UnserializedKeyv extends Keyv {
  constructor(options?: ConstructorParameters<typeof Keyv>[0]) {
    // Keyv turns serialisation off when `serialize` is present and undefined; its types do not spell that out.
    super({ ...options, serialize: options?.serialize, deserialize: options?.deserialize } as KeyvOptions);
  }
}

// With Keyv's serialisation off the store receives `{ value, expires }` objects; the cache's serializer must keep
// what they hold: msgpackr keeps Buffers and `undefined` (JSON, the default, turns a Buffer into `{ type, data }`).
const msgpack = { serialize: (value: unknown) => pack(value), deserialize: (data: Buffer) => unpack(data) as unknown };

const configurations: Array<[string, () => Omit<CacheOptions, 'namespace'>]> = [
  ['L1 only', () => ({})],
  ['L1 + L2 (Redis)', () => ({ l2: { redis: redisUrl() } })],
];

for (const [name, options] of configurations) {
  describe(`Keyv store over ${name}`, () => {
    describe('@keyv/test-suite', () => {
      const cache = cacheWith(options());
      const store = () => createKeyvStore({ cache });
      keyvTestSuite(vitest, Keyv, store);
      keyvIteratorTests(vitest, Keyv, store);
    });
    describe('@keyv/test-suite with serialisation off (msgpackr in the cache)', () => {
      const cache = cacheWith({ ...options(), serializer: msgpack });
      const store = () => createKeyvStore({ cache });
      keyvTestSuite(vitest, UnserializedKeyv as typeof Keyv, store);
      keyvIteratorTests(vitest, UnserializedKeyv as typeof Keyv, store);
    });
  });
}

describe('Keyv store over L1 + L2 seen from two instances', () => {
  it("one instance's namespaced clear removes only that namespace, from L2 and from the other's reads", async () => {
    const namespace = namespaces.next();
    const a = createCache({ namespace, l2: { redis: redisUrl() }, bus: true });
    const b = createCache({ namespace, l2: { redis: redisUrl() }, bus: true });
    caches.push(a, b);
    await Promise.all([a.ready(), b.ready()]);
    const users = new Keyv({ store: createKeyvStore({ cache: a }), namespace: 'users' });
    const orders = new Keyv({ store: createKeyvStore({ cache: a }), namespace: 'orders' });
    await users.set('1', 'ada');
    await orders.set('1', 'book');
    const usersOnB = new Keyv({ store: createKeyvStore({ cache: b }), namespace: 'users' });
    expect(await usersOnB.get('1')).toBe('ada');
    await users.clear();
    expect(await usersOnB.get('1')).toBeUndefined();
    expect(await new Keyv({ store: createKeyvStore({ cache: b }), namespace: 'orders' }).get('1')).toBe('book');
  });

  it('a TTL is milliseconds and no TTL never expires in the cache itself', async () => {
    const cache = cacheWith({ l2: { redis: redisUrl() } });
    const keyv = new Keyv({ store: createKeyvStore({ cache }) });
    await keyv.set('short', 'x', 1500);
    await keyv.set('forever', 'y');
    const short = await cache.getEntry('keyv:short');
    const forever = await cache.getEntry('keyv:forever');
    expect(short!.expiresAt - short!.createdAt).toBe(1500);
    expect(forever!.expiresAt - forever!.createdAt).toBeGreaterThan(50 * 365 * 24 * 3600 * 1000);
  });
});

describe('createKeyvStore refuses', () => {
  it('a missing cache', () => {
    expect(() => createKeyvStore({} as never)).toThrow(/needs `cache`/);
  });
  it('a cache with a tier that cannot list its keys', async () => {
    const cache = cacheWith({ l3: createSqliteTier({ path: ':memory:' }) });
    expect(() => createKeyvStore({ cache })).toThrow(/tier l3 cannot list its keys/);
  });
});
