import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseUrl, testSchema } from '@wai/test-services';
import { openPostgresDatabase, openSqliteDatabase, type SqlDatabase } from '../db/sql-database.js';
import { createSqlHistoryStore } from './sql-history-store.js';

type Open = () => Promise<{ db: SqlDatabase; reopen: () => Promise<SqlDatabase>; cleanup: () => Promise<void> }>;

const dir = mkdtempSync(join(tmpdir(), 'wai-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const drivers: Array<[string, Open, boolean]> = [
  [
    'sqlite',
    async () => {
      const path = join(dir, `h-${Math.random().toString(36).slice(2)}.db`);
      return { db: openSqliteDatabase(path), reopen: async () => openSqliteDatabase(path), cleanup: async () => {} };
    },
    true,
  ],
  [
    'postgres',
    async () => {
      const schema = await testSchema('ref_history');
      return {
        db: openPostgresDatabase({ connectionString: schema.connectionString }),
        reopen: async () => openPostgresDatabase({ connectionString: schema.connectionString }),
        cleanup: () => schema.close(),
      };
    },
    databaseUrl() !== undefined,
  ],
];

describe.each(drivers)('SQL history store on %s', (_name, open, available) => {
  it.runIf(available)('appends, queries by metric and route, buckets by step, and survives a reopen', async () => {
    const { db, reopen, cleanup } = await open();
    try {
      const store = await createSqlHistoryStore(db);
      // Recent (older rows fall to the 7-day retention) and aligned to a minute, so the 30 s buckets are predictable.
      const t0 = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
      await store.append([
        { metric: 'latency_p95', t: t0, v: 10 },
        { metric: 'latency_p95', t: t0 + 1000, v: 20 },
        { metric: 'latency_p95', t: t0 + 60_000, v: 40 },
        { metric: 'latency_p95', t: t0 + 1000, v: 99, route: 'GET /api/workshops/:id' },
        { metric: 'error_rate', t: t0, v: 0.5 },
        { metric: 'latency_p95', t: t0 + 2000, v: Number.NaN },
      ]);
      expect(await store.query('latency_p95', { from: t0, to: t0 + 120_000 })).toEqual([
        { t: t0, v: 10 },
        { t: t0 + 1000, v: 20 },
        { t: t0 + 60_000, v: 40 },
      ]);
      expect(await store.query('latency_p95', { route: 'GET /api/workshops/:id', from: t0, to: t0 + 120_000 })).toEqual([{ t: t0 + 1000, v: 99 }]);
      const bucketed = await store.query('latency_p95', { from: t0, to: t0 + 120_000, step: 30_000 });
      expect(bucketed).toHaveLength(2);
      expect(bucketed[0]!.v).toBeCloseTo(15);
      expect(await store.query('latency_p95', { from: t0 + 61_000, to: t0 + 120_000 })).toEqual([]);
      await store.close();
      await db.close();

      const again = await reopen();
      const reopened = await createSqlHistoryStore(again);
      expect(await reopened.query('error_rate', { from: t0 - 1, to: t0 + 1 })).toEqual([{ t: t0, v: 0.5 }]);
      await reopened.close();
      await again.close();
    } finally {
      await cleanup();
    }
  });

  it.runIf(available)('rejects an unsafe table name', async () => {
    const { db, cleanup } = await open();
    try {
      await expect(createSqlHistoryStore(db, { table: 'x; drop table y' })).rejects.toThrow(TypeError);
    } finally {
      await db.close();
      await cleanup();
    }
  });
});
