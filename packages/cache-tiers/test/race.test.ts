import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { redisUrl, testSchema, type TestSchema } from '@wai/test-services';
import { createCache, type Cache, type CacheOptions } from '../src/cache.js';
import { testNamespaces } from './helpers.js';

/**
 * The consistency contract under races: readers (getOrSet loads, plain back-filling reads, warming-style
 * beginFill/fill) run on every instance while writers change the data and invalidate, and every read that
 * began after a write returned must see that write or a later one. The "database" is a Map of versions; loads
 * read it and then yield for a random while, so late fills are the common case, not the rare one.
 */
const directory = mkdtempSync(join(tmpdir(), 'wai-cache-race-'));
const namespaces = testNamespaces('race');
let schema: TestSchema;
beforeAll(async () => {
  schema = await testSchema('cache_race');
});
afterAll(async () => {
  await namespaces.cleanup();
  await schema?.close();
  rmSync(directory, { recursive: true, force: true });
});

const KEYS = ['w:1', 'w:2', 'w:3', 'w:4'];
const CYCLES_PER_KEY = 750; // 3,000 write/read cycles per configuration

type Pause = 'none' | 'tick' | 'immediate' | 'timer';
const pause = (kind: Pause): Promise<void> =>
  kind === 'none' ? Promise.resolve() : kind === 'tick' ? new Promise((resolve) => process.nextTick(resolve)) : kind === 'immediate' ? new Promise((resolve) => setImmediate(resolve)) : new Promise((resolve) => setTimeout(resolve, 1));

interface Outcome {
  reads: number;
  stale: Array<{ key: string; expectedAtLeast: number; got: number; how: string }>;
}

async function hammer(instances: Cache[], seed: number): Promise<Outcome> {
  const database = new Map<string, number>(KEYS.map((key) => [key, 0]));
  /** The newest version whose write (data + invalidation) has returned. */
  const committed = new Map<string, number>(KEYS.map((key) => [key, 0]));
  const outcome: Outcome = { reads: 0, stale: [] };
  const pauses = fc.sample(fc.constantFrom<Pause>('none', 'tick', 'immediate', 'timer'), { seed, numRuns: 4096 });
  let cursor = 0;
  const nextPause = () => pauses[cursor++ % pauses.length]!;
  const tagsOf = (key: string) => ['workshops', `workshop:${key}`];
  const load = async (key: string) => {
    const version = database.get(key)!;
    await pause(nextPause());
    return version;
  };
  const check = (key: string, floor: number, got: number | undefined, how: string) => {
    outcome.reads++;
    if (got !== undefined && got < floor) outcome.stale.push({ key, expectedAtLeast: floor, got, how });
  };

  let writing = true;
  const reader = async (cache: Cache, key: string, index: number) => {
    while (writing) {
      const floor = committed.get(key)!;
      switch (index % 3) {
        case 0:
          check(key, floor, await cache.getOrSet(key, () => load(key), { ttl: 60, tags: tagsOf(key) }), 'getOrSet');
          break;
        case 1:
          check(key, floor, await cache.get<number>(key), 'get');
          break;
        default: {
          // A warming run: the token before the query, the fill after it.
          const token = await cache.beginFill();
          const version = await load(key);
          await cache.fill(token, key, version, { ttl: 60, tags: tagsOf(key) });
          check(key, floor, await cache.get<number>(key), 'after fill');
        }
      }
      index++;
    }
  };
  const writer = async (key: string, keyIndex: number) => {
    for (let cycle = 0; cycle < CYCLES_PER_KEY; cycle++) {
      const cache = instances[(cycle + keyIndex) % instances.length]!;
      const version = database.get(key)! + 1;
      database.set(key, version);
      await pause(nextPause());
      // Delete, tag invalidation and overwrite: the three ways a write reaches the cache.
      if (cycle % 3 === 0) await cache.delete(key);
      else if (cycle % 3 === 1) await cache.invalidateByTag(`workshop:${key}`);
      else await cache.set(key, version, { ttl: 60, tags: tagsOf(key) });
      committed.set(key, version);
      await pause(nextPause());
    }
  };
  const readers = instances.flatMap((cache) => KEYS.flatMap((key) => [0, 1, 2].map((index) => reader(cache, key, index))));
  await Promise.all(KEYS.map(writer));
  writing = false;
  await Promise.all(readers);
  // After the last write every instance answers with the last version.
  for (const cache of instances) for (const key of KEYS) check(key, committed.get(key)!, await cache.getOrSet(key, () => load(key), { ttl: 60, tags: tagsOf(key) }), 'final');
  return outcome;
}

type Deployment = { name: string; instances: () => CacheOptions[] };

const deployments: Deployment[] = [
  { name: 'L1 + SQLite, one instance', instances: () => [{ l3: { driver: 'sqlite', path: join(directory, `${namespaces.next()}.db`) } }] },
  { name: 'L1 + PostgreSQL, one instance', instances: () => [{ l3: { driver: 'postgres', pool: schema.pool } }] },
  {
    name: 'two instances sharing only PostgreSQL (no L1: nothing could tell it)',
    instances: () => [
      { l1: false, l3: { driver: 'postgres', pool: schema.pool } },
      { l1: false, l3: { driver: 'postgres', pool: schema.pool } },
    ],
  },
  {
    name: 'two instances, Redis + SQLite, bus',
    instances: () => {
      const path = join(directory, `${namespaces.next()}.db`);
      return [0, 1].map(() => ({ l2: { redis: redisUrl() }, l3: { driver: 'sqlite' as const, path }, bus: true }));
    },
  },
  {
    name: 'two instances, Redis + PostgreSQL, bus and lease',
    instances: () => [0, 1].map(() => ({ l2: { redis: redisUrl() }, l3: { driver: 'postgres' as const, pool: schema.pool }, bus: true, lease: true })),
  },
];

describe('race: no read that began after a write returned sees an older value', () => {
  for (const [index, deployment] of deployments.entries()) {
    it(`${deployment.name}: 0 stale reads over 3,000 write/read cycles`, async () => {
      const namespace = namespaces.next();
      const instances = deployment.instances().map((options) => createCache({ namespace, ...options, defaultTTL: 60 }));
      try {
        await Promise.all(instances.map((cache) => cache.ready()));
        const outcome = await hammer(instances, 1000 + index);
        expect(outcome.reads).toBeGreaterThan(3000);
        expect(outcome.stale.slice(0, 5)).toEqual([]);
      } finally {
        await instances[0]!.clear();
        await Promise.all(instances.map((cache) => cache.close()));
      }
    }, 120_000);
  }
});
