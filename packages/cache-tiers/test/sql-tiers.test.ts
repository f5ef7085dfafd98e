import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { testSchema, type TestSchema } from '@wai/test-services';
import { createFakeClock } from '@wai/metrics-core/testing';
import { createPostgresTier, createSqliteTier, createSqlTier } from '../src/l3/index.js';

const directory = mkdtempSync(join(tmpdir(), 'wai-sql-tiers-'));
let schema: TestSchema;
beforeAll(async () => {
  schema = await testSchema('cache_sql_tiers');
});
afterAll(async () => {
  await schema?.close();
  rmSync(directory, { recursive: true, force: true });
});

const entry = (value: unknown, ttlMs: number, tags: string[] = [], now = Date.now()) => ({ value, createdAt: now, expiresAt: now + ttlMs, staleUntil: now + ttlMs, tags });

describe('SQLite tier', () => {
  it('purges expired rows in the background on the injected clock', async () => {
    const database = new Database(join(directory, 'purge.db'));
    const clock = createFakeClock(Date.now());
    const tier = createSqliteTier({ database, namespace: 'purge', clock, purgeInterval: 1000 });
    await tier.set('short', entry(1, 500, [], clock.now()));
    await tier.set('long', entry(2, 60_000, [], clock.now()));
    const count = () => (database.prepare('select count(*) as n from wai_cache where namespace = ?').get('purge') as { n: number }).n;
    expect(count()).toBe(2);
    clock.advance(1000);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(count()).toBe(1);
    await tier.close();
    expect(database.open).toBe(true); // a database passed in stays open
    database.close();
  });

  it('indexes tags in a side table and deletes by tag in one statement', async () => {
    const database = new Database(join(directory, 'tags.db'));
    const tier = createSqliteTier({ database, namespace: 'tags', purgeInterval: 0 });
    await tier.set('a', entry(1, 60_000, ['x', 'y']));
    await tier.get('a');
    const plan = database.prepare(`explain query plan delete from wai_cache where namespace = ? and key in (select key from wai_cache_tags where namespace = ? and tag = ?)`).all('tags', 'tags', 'x') as Array<{ detail: string }>;
    expect(plan.map((row) => row.detail).join(' ')).toMatch(/wai_cache_tags/);
    expect(await tier.deleteByTag('x')).toBe(1);
    expect((database.prepare('select count(*) as n from wai_cache_tags where namespace = ?').get('tags') as { n: number }).n).toBe(0);
    await tier.close();
    database.close();
  });

  it('createSqlTier defaults to SQLite and refuses unknown drivers', async () => {
    const tier = createSqlTier({ path: ':memory:', namespace: 'mem' });
    await tier.set('k', entry('v', 1000));
    expect((await tier.get('k'))?.value).toBe('v');
    await tier.close();
    expect(() => createSqlTier({ driver: 'mysql' } as never)).toThrow(/driver/);
  });
});

describe('PostgreSQL tier', () => {
  it('uses a GIN index for tags, purges, and leaves a pool passed in open', async () => {
    const tier = createPostgresTier({ pool: schema.pool, namespace: 'pg', purgeInterval: 0 });
    const now = Date.now();
    await tier.set('old', { value: 1, createdAt: now - 5000, expiresAt: now + 50, staleUntil: now + 50, tags: ['t'] });
    await tier.set('new', entry(2, 60_000, ['t', 'u']));
    const indexes = await schema.pool.query<{ indexdef: string }>(`select indexdef from pg_indexes where tablename = 'wai_cache' and schemaname = $1`, [schema.schema]);
    expect(indexes.rows.some((row) => /gin \(tags\)/i.test(row.indexdef))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await tier.purgeExpired()).toBe(1);
    expect(await tier.deleteByTag('u')).toBe(1);
    await tier.setTagInvalidation('t', 10);
    await tier.setTagInvalidation('t', 5); // older stamps never win
    expect(await tier.getTagInvalidations(['t', 'none'])).toEqual([10, 0]);
    await tier.close();
    expect((await schema.pool.query('select 1 as one')).rows[0]).toEqual({ one: 1 });
  });

  it('two instances creating the schema at once do not collide', async () => {
    const tiers = Array.from({ length: 4 }, () => createPostgresTier({ connectionString: schema.connectionString, table: 'race_cache', namespace: 'race' }));
    await Promise.all(tiers.map((tier, index) => tier.set(`k${index}`, entry(index, 60_000))));
    expect((await tiers[0]!.get('k3'))?.value).toBe(3);
    await Promise.all(tiers.map((tier) => tier.close()));
  });

  it('needs a connection string or a pool', () => {
    expect(() => createPostgresTier({})).toThrow(/connectionString/);
  });
});
