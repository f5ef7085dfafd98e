/**
 * The caches compared in bench/cache-tiers.bench.ts, configured alike: an in-memory L1 (where the row uses one)
 * in front of Redis on loopback, same TTL, keys under one run-unique prefix. Shared by the stampede workers.
 */
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { Cacheable, createKeyv as createMemoryKeyv } from 'cacheable';
import { createKeyv as createRedisKeyv } from '@keyv/redis';
import { createCache } from '../src/cache.js';

export type Loader<T> = () => Promise<T>;

export interface Contestant {
  name: string;
  getOrSet<T>(key: string, loader: Loader<T>): Promise<T>;
  close(): Promise<void>;
}

export const TTL_SECONDS = 3600;

export type ContestantName = 'ours' | 'bentocache' | 'cache-manager' | 'cacheable';

export const VERSIONS = { bentocache: 'bentocache 1.6.1', 'cache-manager': 'cache-manager 7.2.9', cacheable: 'cacheable 2.5.0' } as const;

export function redisTarget(url: string): { host: string; port: number; db: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 6379), db: Number(parsed.pathname.slice(1) || 0) };
}

/** `withL1` false gives an L2-only cache (row 2 measures L2 hits). `lease` turns on our cross-process single-flight. */
export function createContestant(name: ContestantName, options: { redisUrl: string; prefix: string; withL1: boolean; lease?: boolean }): Contestant {
  const { redisUrl, prefix, withL1 } = options;
  const target = redisTarget(redisUrl);
  switch (name) {
    case 'ours': {
      const cache = createCache({
        namespace: `${prefix}_ours`,
        l1: withL1 ? { maxSize: 10_000 } : false,
        l2: { redis: redisUrl },
        defaultTTL: TTL_SECONDS,
        ...(options.lease ? { lease: { ttl: 10_000, wait: 5000 } } : {}),
      });
      return { name: 'ours', getOrSet: (key, loader) => cache.getOrSet(key, loader, { ttl: TTL_SECONDS }), close: () => cache.close() };
    }
    case 'bentocache': {
      const store = bentostore();
      if (withL1) store.useL1Layer(memoryDriver({ maxItems: 10_000 }));
      store.useL2Layer(redisDriver({ connection: { host: target.host, port: target.port, db: target.db } }));
      const bento = new BentoCache({ default: 'main', prefix: `${prefix}_bento`, stores: { main: store } });
      return {
        name: VERSIONS.bentocache,
        getOrSet: (key, loader) => bento.getOrSet({ key, factory: loader, ttl: TTL_SECONDS * 1000 }),
        close: () => bento.disconnect(),
      };
    }
    case 'cache-manager': {
      const redis = createRedisKeyv(redisUrl, { namespace: `${prefix}_cm` });
      const stores = withL1 ? [createMemoryKeyv({ lruSize: 10_000 }), redis] : [redis];
      const cache = createCacheManager({ stores, ttl: TTL_SECONDS * 1000 });
      return {
        name: VERSIONS['cache-manager'],
        getOrSet: (key, loader) => cache.wrap(key, loader, TTL_SECONDS * 1000),
        close: async () => void (await cache.disconnect()),
      };
    }
    case 'cacheable': {
      const redis = createRedisKeyv(redisUrl, { namespace: `${prefix}_cacheable` });
      const cache = withL1 ? new Cacheable({ primary: createMemoryKeyv({ lruSize: 10_000 }), secondary: redis, ttl: TTL_SECONDS * 1000 }) : new Cacheable({ primary: redis, ttl: TTL_SECONDS * 1000 });
      return {
        name: VERSIONS.cacheable,
        getOrSet: async (key, loader) => (await cache.getOrSet(key, loader)) as Awaited<ReturnType<typeof loader>>,
        close: async () => void (await cache.disconnect()),
      };
    }
  }
}
