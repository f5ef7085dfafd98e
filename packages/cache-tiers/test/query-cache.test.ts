import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryCacheStore } from '@wai/metrics-core/http';
import { testSchema, type TestSchema } from '@wai/test-services';
import { createCache } from '../src/cache.js';
import { createQueryCache } from '../src/query-cache/query-cache.js';
import { isReadOnly, normalizeSql, tablesOf, tokenizeSql } from '../src/query-cache/sql-tokens.js';

const tables = (sql: string) => tablesOf(tokenizeSql(sql));

describe('SQL normalisation and table extraction', () => {
  it('ignores whitespace, comments and keyword case, but keeps literals and quoted identifiers', () => {
    expect(normalizeSql('SELECT  *\n  FROM Workshops -- all\n WHERE id=$1')).toBe(normalizeSql('select * from workshops /* x */ where id = $1'));
    expect(normalizeSql("select 'A  B'")).not.toBe(normalizeSql("select 'a b'"));
    expect(normalizeSql('select "Name" from t')).not.toBe(normalizeSql('select "name" from t'));
    expect(normalizeSql('select a<=b')).toBe(normalizeSql('select a <= b'));
  });

  it('finds the tables a statement reads: joins, comma lists, aliases, schemas, subqueries, not CTE names or function FROMs', () => {
    expect(tables('select * from workshops w join speakers s on s.id = w.speaker_id left outer join public.rooms r on true')).toEqual(['rooms', 'speakers', 'workshops']);
    expect(tables('select * from a, b as bee, "C" where a.x = 1')).toEqual(['a', 'b', 'c']);
    expect(tables('with recent as (select * from workshops) select extract(epoch from created_at) from recent join tags on true')).toEqual(['tags', 'workshops']);
    expect(tables('select (select count(*) from registrations r where r.w = w.id) from workshops w')).toEqual(['registrations', 'workshops']);
    expect(tables('select * from generate_series(1, 3)')).toEqual([]);
    expect(tables('select 1')).toEqual([]);
  });

  it('caches reads only: writes, SELECT … FOR UPDATE and SELECT INTO are not read-only', () => {
    expect(isReadOnly(tokenizeSql('SELECT 1'))).toBe(true);
    expect(isReadOnly(tokenizeSql('with x as (select 1) select * from x'))).toBe(true);
    expect(isReadOnly(tokenizeSql('select * from t for update'))).toBe(false);
    expect(isReadOnly(tokenizeSql('select * into copy from t'))).toBe(false);
    expect(isReadOnly(tokenizeSql('with d as (delete from t returning *) select * from d'))).toBe(false);
    expect(isReadOnly(tokenizeSql("insert into t values ('select')"))).toBe(false);
    expect(isReadOnly(tokenizeSql("select 'update' from t"))).toBe(true);
  });
});

describe('createQueryCache against PostgreSQL', () => {
  let database: TestSchema;
  beforeAll(async () => {
    database = await testSchema('query_cache');
    await database.pool.query('create table workshops (id serial primary key, title text not null, seats int not null)');
    await database.pool.query('create table speakers (id serial primary key, name text not null)');
    await database.pool.query("insert into workshops (title, seats) values ('Node', 10), ('SQL', 20)");
    await database.pool.query("insert into speakers (name) values ('Ada')");
  });
  afterAll(async () => {
    await database.close();
  });

  const counted = () => {
    let calls = 0;
    const run = async (sql: string, params: readonly unknown[]) => {
      calls++;
      return (await database.pool.query(sql, [...params])).rows as Array<Record<string, unknown>>;
    };
    return { run, calls: () => calls };
  };

  for (const [label, makeCache] of [
    ['the composed cache', () => createCache({ l1: { maxSize: 100 } })],
    ["core's memory CacheStore", () => createMemoryCacheStore()],
  ] as const) {
    it(`serves repeated reads from ${label} until the table is invalidated`, async () => {
      const cache = makeCache();
      const queries = createQueryCache({ cache });
      const { run, calls } = counted();
      const first = await queries.query('SELECT id, title FROM workshops WHERE seats >= $1 ORDER BY id', [10], run, { ttl: 60 });
      const second = await queries.query('select id, title\n  from workshops where seats >= $1 order by id', [10], run);
      expect(second).toEqual(first);
      expect(first).toHaveLength(2);
      expect(calls()).toBe(1);
      // Other parameters are another entry.
      expect(await queries.query('select id, title from workshops where seats >= $1 order by id', [15], run)).toHaveLength(1);
      expect(calls()).toBe(2);
      // A speakers-only query is unaffected by invalidating workshops.
      await queries.query('select name from speakers', [], run);
      await database.pool.query("insert into workshops (title, seats) values ('Redis', 30)");
      await queries.invalidateTables(['workshops']);
      const after = await queries.query('select id, title from workshops where seats >= $1 order by id', [10], run);
      expect(after).toHaveLength(3);
      await queries.query('select name from speakers', [], run);
      expect(calls()).toBe(4);
      await database.pool.query("delete from workshops where title = 'Redis'");
      await queries.invalidateTables(['public.WORKSHOPS']);
      expect(await queries.query('select id, title from workshops where seats >= $1 order by id', [10], run)).toHaveLength(2);
      if ('close' in cache) await cache.close();
    });
  }

  it('runs writes uncached and invalidates the tables they write', async () => {
    const cache = createCache({ l1: { maxSize: 100 } });
    const queries = createQueryCache({ cache });
    const { run, calls } = counted();
    const count = async () => (await queries.query('select count(*)::int as n from workshops', [], run))[0]?.n;
    const before = await count();
    await count();
    expect(calls()).toBe(1);
    await queries.query('insert into workshops (title, seats) values ($1, $2)', ['Go', 5], run);
    expect(await count()).toBe((before as number) + 1);
    expect(calls()).toBe(3);
    await queries.query('delete from workshops where title = $1', ['Go'], run);
    expect(await count()).toBe(before);
    await cache.close();
  });

  it('runs concurrent identical reads once through the composed cache', async () => {
    const cache = createCache({ l1: { maxSize: 100 } });
    const queries = createQueryCache({ cache });
    const { run, calls } = counted();
    const results = await Promise.all(Array.from({ length: 20 }, () => queries.query('select pg_sleep(0.05), 1 as one', [], run)));
    expect(results.every((rows) => rows[0]?.one === 1)).toBe(true);
    expect(calls()).toBe(1);
    await cache.close();
  });

  it('keys by type-aware parameters and rejects bad input with typed errors', async () => {
    const queries = createQueryCache({ cache: createMemoryCacheStore() });
    expect(queries.keyFor('select $1', [1])).not.toBe(queries.keyFor('select $1', ['1']));
    expect(queries.keyFor('select $1', [new Date(0)])).not.toBe(queries.keyFor('select $1', [new Date(0).toISOString()]));
    expect(queries.keyFor('SELECT * FROM workshops', [])).toMatch(/^sql:workshops:/);
    await expect(queries.query('', [], async () => 1)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(queries.query('select $1', [() => 1], async () => 1)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(queries.query('select 1', 'x' as never, async () => 1)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(queries.invalidateTables([''])).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(() => createQueryCache({} as never)).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
  });
});
