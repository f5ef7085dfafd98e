import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisClusterHandle } from '@wai/test-services';
import { createCache } from '../src/cache.js';
import { createRedisTier } from '../src/l2/index.js';
import type { SyncCacheTier } from '../src/tier.js';
import { runCacheStoreConformance, runTierConformance } from '../src/testing.js';

let cluster: RedisClusterHandle;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

runTierConformance('L2 redis cluster (3 masters)', ({ namespace }) => createRedisTier({ redis: { cluster: cluster.nodes }, namespace, commandTimeout: 5000 }));
runCacheStoreConformance('cache on a redis cluster (L1 + L2, bus)', ({ namespace }) => createCache({ namespace, l2: { redis: { cluster: cluster.nodes } }, bus: true, commandTimeout: 5000 }));

describe('cache on a 3-node Redis Cluster', () => {
  it('spreads namespaces over slots, and tags + bus work without CROSSSLOT', async () => {
    const errors: Error[] = [];
    const make = (namespace: string) => {
      const cache = createCache({ namespace, l2: { redis: { cluster: cluster.nodes } }, bus: true, lease: true, commandTimeout: 5000 });
      cache.on('error', (error) => errors.push(error));
      return cache;
    };
    const namespaces = ['cl-alpha', 'cl-beta', 'cl-gamma', 'cl-delta', 'cl-epsilon', 'cl-zeta'];
    const a = namespaces.map(make);
    const b = namespaces.map(make);
    // Let every cluster client finish its slot discovery (a write issued before that would be dropped by the
    // command timeout, which is the degrade path, not what this test looks at).
    const clients = a.concat(b).map((cache) => (cache.tiers.find((tier) => tier.name === 'l2')!.tier as ReturnType<typeof createRedisTier>).client);
    const deadline = Date.now() + 10_000;
    while (clients.some((client) => client.status !== 'ready') && Date.now() < deadline) await sleep(20);
    await sleep(100);
    for (const [index, cache] of a.entries()) {
      await cache.set('x', index, { tags: ['t1', 't2', `t:${index}`] });
      await cache.set('y', index, { tags: ['t2'] });
      expect(await b[index]!.get('x')).toBe(index);
    }
    // The namespaces landed on more than one master.
    const redis = a[0]!.tiers.find((tier) => tier.name === 'l2')!.tier as ReturnType<typeof createRedisTier>;
    const client = redis.client as import('ioredis').Cluster;
    const owners = new Set<string>();
    for (const namespace of namespaces) {
      const slot = Number(await client.cluster('KEYSLOT', `{${namespace}}:e:x`));
      const shards = (await client.cluster('SHARDS')) as unknown[];
      owners.add(String(findOwner(shards, slot)));
    }
    expect(owners.size).toBeGreaterThan(1);

    for (const [index, cache] of a.entries()) {
      await cache.invalidateByTag('t2');
      const l1OfB = b[index]!.tiers[0]!.tier as SyncCacheTier;
      await sleep(30);
      expect(l1OfB.getSync('x')).toBeUndefined();
      expect(await b[index]!.get('x')).toBeUndefined();
      expect(await b[index]!.get('y')).toBeUndefined();
    }
    // Lease + getOrSet on the cluster.
    let calls = 0;
    const results = await Promise.all(a.concat(b).map((cache) => cache.getOrSet('loaded', async () => (await sleep(50), ++calls))));
    expect(new Set(results).size).toBe(namespaces.length);
    expect(calls).toBe(namespaces.length);
    await Promise.all(a.concat(b).map((cache) => cache.clear()));
    await Promise.all(a.concat(b).map((cache) => cache.close()));
    expect(errors.map((error) => error.message).filter((message) => /CROSSSLOT/.test(message))).toEqual([]);
    expect(errors).toEqual([]);
  });
});

/** CLUSTER SHARDS (Redis 7): [ 'slots', [start, end, …], 'nodes', [[ 'id', … ]] ] per shard. */
function findOwner(shards: unknown[], slot: number): unknown {
  for (const shard of shards as unknown[][]) {
    const slots = shard[1] as number[];
    for (let index = 0; index < slots.length; index += 2) {
      if (slot >= slots[index]! && slot <= slots[index + 1]!) return JSON.stringify(shard[3]).slice(0, 60);
    }
  }
  return undefined;
}
