import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { redisUrl, testSchema, type TestSchema } from '@wai/test-services';
import { runCacheStoreConformance, runTierConformance } from '../src/testing.js';
import { createCache } from '../src/cache.js';
import { createMemoryTier } from '../src/l1/index.js';
import { createRedisTier } from '../src/l2/index.js';
import { availableSqliteDrivers, createPostgresTier, createSqliteTier, openSqlite } from '../src/l3/index.js';

const directory = mkdtempSync(join(tmpdir(), 'wai-cache-conformance-'));
let schema: TestSchema;
const shared = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });

beforeAll(async () => {
  schema = await testSchema('cache_conformance');
});
afterAll(async () => {
  shared.disconnect();
  await schema?.close();
  rmSync(directory, { recursive: true, force: true });
});

runTierConformance('L2 redis (url)', ({ namespace }) => createRedisTier({ redis: redisUrl(), namespace, commandTimeout: 5000 }));
runTierConformance('L2 redis (client passed in, no compression)', ({ namespace }) => createRedisTier({ redis: shared, namespace, compressionThreshold: false }));
// Every SQLite driver this runtime can load runs the suite: on a file it opens, and on a database passed in.
for (const driver of availableSqliteDrivers()) {
  runTierConformance(`L3 sqlite ${driver} (file)`, ({ namespace }) => createSqliteTier({ path: join(directory, `cache-${driver}.db`), namespace, sqliteDriver: driver }));
  const passedIn = openSqlite(join(directory, `passed-in-${driver}.db`), { driver });
  afterAll(() => passedIn.close());
  runTierConformance(`L3 sqlite ${driver} (database passed in)`, ({ namespace }) => createSqliteTier({ database: passedIn.database, namespace }));
}
runTierConformance('L3 postgres (connection string)', ({ namespace }) => createPostgresTier({ connectionString: schema.connectionString, namespace }));
runTierConformance('L3 postgres (pool passed in)', ({ namespace }) => createPostgresTier({ pool: schema.pool, namespace, table: 'wai_cache_pool' }));

runCacheStoreConformance('cache L1 only', ({ namespace }) => createCache({ namespace }));
runCacheStoreConformance('cache L1 + L2', ({ namespace }) => createCache({ namespace, l2: { redis: redisUrl() } }));
runCacheStoreConformance('cache L1 + L2 + L3 sqlite + bus', ({ namespace }) =>
  createCache({ namespace, l2: { redis: redisUrl() }, l3: { driver: 'sqlite', path: join(directory, 'composed.db') }, bus: true }),
);
runCacheStoreConformance('cache L2 + L3 postgres (no L1)', ({ namespace }) =>
  createCache({ namespace, l1: false, l2: { redis: redisUrl() }, l3: { driver: 'postgres', connectionString: schema.connectionString } }),
);
runCacheStoreConformance('cache L3 sqlite only', ({ namespace }) => createCache({ namespace, l1: false, l3: { driver: 'sqlite', path: join(directory, 'only.db') } }));
runTierConformance('L1 memory', () => createMemoryTier({ maxSize: 10_000, maxMemory: 64 * 1024 * 1024 }), { preservesDates: true });
