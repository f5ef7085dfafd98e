import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, startTcpProxy, testSchema, type TestSchema } from '@wai/test-services';
import { createCache, type Cache, type CacheOptions } from '../src/cache.js';
import { sleep, testNamespaces } from './helpers.js';

/**
 * A writer cut off from Redis for good (the link never comes back, then it stops): its Redis delete and bus
 * message can only reach the other instances through the SQL tier they share. The other instance must serve the
 * write within its relay interval plus a few round trips — not the entry's TTL.
 */
const directory = mkdtempSync(join(tmpdir(), 'wai-cache-handoff-'));
const namespaces = testNamespaces('handoff');
let schema: TestSchema;
beforeAll(async () => {
  schema = await testSchema('cache_handoff');
});
afterAll(async () => {
  await namespaces.cleanup();
  await schema?.close();
  rmSync(directory, { recursive: true, force: true });
});

const HANDOFF_INTERVAL = 200;

/** Ms until `check` holds, polling every 10 ms; Infinity when it never did within `limit`. */
async function settles(limit: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limit) {
    if (await check()) return performance.now() - started;
    await sleep(10);
  }
  return Infinity;
}

describe('handoff through SQL: invalidations of a writer cut off from Redis are delivered by another instance', () => {
  const l3Of: Record<string, (namespace: string) => NonNullable<CacheOptions['l3']>> = {
    SQLite: (namespace) => ({ driver: 'sqlite', path: join(directory, `${namespace}.db`) }),
    PostgreSQL: () => ({ driver: 'postgres', pool: schema.pool }),
  };
  for (const [name, l3] of Object.entries(l3Of)) {
    it(`${name}: the other instance serves the write and honours the tag within the relay interval, though the writer never reaches Redis again and stops`, async () => {
      const direct = new URL(redisUrl());
      const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 6379) });
      const namespace = namespaces.next();
      const common: CacheOptions = {
        namespace,
        l3: l3(namespace),
        bus: true,
        defaultTTL: 600,
        commandTimeout: 100,
        writeTimeout: 200,
        flushTimeout: 300,
        handoffInterval: HANDOFF_INTERVAL,
        circuitBreaker: { failureThreshold: 1, resetTimeout: 200 },
      };
      const writer: Cache = createCache({ ...common, l2: { redis: proxy.url } });
      const other: Cache = createCache({ ...common, l2: { redis: redisUrl() } });
      for (const cache of [writer, other]) cache.on('error', () => {});
      try {
        await Promise.all([writer.ready(), other.ready()]);
        await writer.set('item', 'v1');
        await writer.set('list', ['v1'], { tags: ['items'] });
        await sleep(50);
        // In the other instance's L1 and in Redis: only a delivered invalidation can take them out.
        expect(await other.get('item')).toBe('v1');
        expect(await other.get('list')).toEqual(['v1']);

        proxy.cut();
        await writer.set('item', 'v2');
        await writer.invalidateByTag('items');
        await writer.close(); // its flush cannot reach Redis: what is left goes to SQL too

        const settled = await settles(5000, async () => (await other.get('item')) === 'v2' && (await other.get('list')) === undefined);
        expect(settled).toBeLessThanOrEqual(HANDOFF_INTERVAL + 800);
        // Redis itself was corrected (not only the relaying instance's L1): a third instance reads the new value.
        const third = createCache({ ...common, l2: { redis: redisUrl() } });
        third.on('error', () => {});
        expect(await third.get('item')).toBe('v2');
        expect(await third.get('list')).toBeUndefined();
        await third.close();
      } finally {
        await writer.close();
        await other.clear();
        await other.close();
        await proxy.close();
      }
    }, 30_000);
  }
});
