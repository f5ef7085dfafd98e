import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSchema, type TestSchema } from '@wai/test-services';
import { createFakeClock } from '@wai/metrics-core/testing';
import { availableSqliteDrivers, createPostgresTier, createSqliteTier, createSqlTier, openSqlite } from '../src/l3/index.js';

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

describe.each(availableSqliteDrivers())('SQLite tier (%s)', (driver) => {
  it('purges expired rows in the background on the injected clock', async () => {
    const database = openSqlite(join(directory, `purge-${driver}.db`), { driver });
    const clock = createFakeClock(Date.now());
    const tier = createSqliteTier({ database, namespace: 'purge', clock, purgeInterval: 1000, fillWindow: 100 });
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
    const database = openSqlite(join(directory, `tags-${driver}.db`), { driver });
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
    const tier = createSqlTier({ path: ':memory:', namespace: 'mem', sqliteDriver: driver });
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
    // 'old' is past serving but its version is kept for the fill window.
    expect(await tier.purgeExpired()).toBe(0);
    expect(await tier.deleteByTag('u')).toBe(1);
    await tier.set('tagged', entry(3, 60_000, ['t']));
    await tier.invalidateTag('t');
    expect(await tier.get('tagged')).toBeUndefined();
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
    expect(() => createPostgresTier({ connectionString: schema.connectionString, warmConnections: -1 })).toThrow(/warmConnections/);
  });

  // The sessions of one tier's pool, found by a unique application_name: pid, state and last statement.
  const sessionsOf = async (applicationName: string) =>
    (await schema.pool.query<{ pid: number; state: string; query: string }>('select pid, state, query from pg_stat_activity where application_name = $1 order by pid', [applicationName])).rows;
  /** The sessions once there are `count` of them (a backend leaves pg_stat_activity a moment after its client ends). */
  const settledSessions = async (applicationName: string, count: number) => {
    let sessions = await sessionsOf(applicationName);
    for (let i = 0; i < 100 && sessions.length !== count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      sessions = await sessionsOf(applicationName);
    }
    return sessions;
  };
  const uniqueName = () => `wai_l3_test_${Math.random().toString(36).slice(2, 10)}`;

  it('opens its connections before the first call and keeps them past the idle timeout, so no call waits for a connect', async () => {
    const applicationName = uniqueName();
    const tier = createPostgresTier({
      connectionString: `${schema.connectionString}&application_name=${applicationName}`,
      table: 'warm_cache',
      namespace: 'warm',
      purgeInterval: 0,
      warmConnections: 4,
      poolOptions: { max: 6, idleTimeoutMillis: 20 },
    });
    await tier.set('k', entry('v', 60_000));
    const opened = await sessionsOf(applicationName);
    expect(opened).toHaveLength(4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await sessionsOf(applicationName)).map((session) => session.pid)).toEqual(opened.map((session) => session.pid));
    // Eight calls at once may add the two connections `max` allows; those close again after the idle timeout.
    await Promise.all(Array.from({ length: 8 }, () => tier.get('k')));
    expect(await settledSessions(applicationName, 4)).toHaveLength(4);
    await tier.close();
    expect(await settledSessions(applicationName, 0)).toHaveLength(0);
  });

  it('turns synchronous_commit off on the sessions it opens, and leaves it on when asked', async () => {
    const names = [uniqueName(), uniqueName()];
    const tiers = names.map((applicationName, index) =>
      createPostgresTier({
        connectionString: `${schema.connectionString}&application_name=${applicationName}`,
        table: 'commit_cache',
        namespace: `commit${index}`,
        purgeInterval: 0,
        warmConnections: 2,
        synchronousCommit: index === 1,
      }),
    );
    await Promise.all(tiers.map((tier) => tier.get('k')));
    // Each session ran the SET before anything else, so one that only ever ran it shows it as its last statement.
    const last = async (applicationName: string) => (await sessionsOf(applicationName)).map((session) => session.query);
    expect(await last(names[0]!)).toContain('set synchronous_commit = off');
    expect(await last(names[1]!)).not.toContain('set synchronous_commit = off');
    await Promise.all(tiers.map((tier) => tier.close()));
  });

  it('keeps its connections on a statement error (missing table) and drops one the server terminated', async () => {
    const applicationName = uniqueName();
    const tier = createPostgresTier({
      connectionString: `${schema.connectionString}&application_name=${applicationName}`,
      table: 'gone_cache',
      namespace: 'gone',
      purgeInterval: 0,
      warmConnections: 2,
      poolOptions: { max: 2 },
    });
    await tier.set('k', entry('v', 60_000));
    const before = (await sessionsOf(applicationName)).map((session) => session.pid);
    expect(before).toHaveLength(2);

    // The SQL-outage scenario: the table is renamed away. Every call fails, none costs a new connection.
    await schema.pool.query('alter table gone_cache rename to gone_cache_away');
    for (let i = 0; i < 6; i++) await expect(tier.get('k')).rejects.toMatchObject({ code: '42P01' });
    expect((await sessionsOf(applicationName)).map((session) => session.pid)).toEqual(before);
    await schema.pool.query('alter table gone_cache_away rename to gone_cache');
    expect((await tier.get('k'))?.value).toBe('v');

    // A statement waiting behind an ACCESS EXCLUSIVE lock whose session is terminated: the call fails, the dead
    // connection is dropped (not handed to the next call) and the process does not crash on the 'error' event.
    const locker = await schema.pool.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table gone_cache in access exclusive mode');
      // Settled into a value at once: the rejection comes while the test is still busy terminating the session.
      const waiting = tier.get('k').then(() => undefined, (error: unknown) => error);
      let victim: number | undefined;
      for (let i = 0; i < 200 && victim === undefined; i++) {
        victim = (await sessionsOf(applicationName)).find((session) => session.state === 'active')?.pid;
        if (victim === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(victim).toBeDefined();
      await schema.pool.query('select pg_terminate_backend($1)', [victim]);
      expect(await waiting).toMatchObject({ code: '57P01' });
      await locker.query('rollback');
      expect((await tier.get('k'))?.value).toBe('v');
      expect((await sessionsOf(applicationName)).map((session) => session.pid)).not.toContain(victim);
    } finally {
      locker.release();
    }
    await tier.close();
  });
});
