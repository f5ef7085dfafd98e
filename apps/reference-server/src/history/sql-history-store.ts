import type { HistoryMetric, HistoryPoint, HistoryQuery, HistoryRecord, HistoryStore } from '@wai/metrics-core';
import type { SqlDatabase } from '../db/sql-database.js';

export interface SqlHistoryStoreOptions {
  /** Table name (letters, digits, underscore). @default 'wai_metric_history' */
  table?: string;
  /** Rows older than this are deleted, at most once a minute, on append (ms). @default 7 days */
  retentionMs?: number;
  /** Most points one query returns; wider ranges are bucketed to fit. @default 2000 */
  maxPoints?: number;
}

/**
 * The monitor's durable history in the app's SQL database (SQLite file by default, PostgreSQL with
 * `DATABASE_URL`), so the dashboard's 24 h view survives a restart. Writes are batched by the monitor; each
 * batch is one multi-row insert.
 */
export async function createSqlHistoryStore(db: SqlDatabase, options: SqlHistoryStoreOptions = {}): Promise<HistoryStore> {
  const table = options.table ?? 'wai_metric_history';
  if (!/^[a-z_][a-z0-9_]*$/i.test(table)) throw new TypeError(`[wai:reference-server] history table name "${table}" must be letters, digits and _`);
  const retentionMs = options.retentionMs ?? 7 * 86_400_000;
  const maxPoints = options.maxPoints ?? 2000;
  const real = db.dialect === 'postgres' ? 'double precision' : 'real';
  await db.exec(`
    create table if not exists ${table} (metric text not null, route text not null default '', t bigint not null, v ${real} not null);
    create index if not exists ${table}_metric_t on ${table} (metric, route, t);
  `);
  let lastPrune = 0;
  let closed = false;
  // SQLite caps bound parameters per statement (32766 since 3.32); 4 per row keeps batches well under it.
  const batchRows = 500;

  return {
    async append(records: readonly HistoryRecord[]) {
      if (closed || records.length === 0) return;
      for (let offset = 0; offset < records.length; offset += batchRows) {
        const batch = records.slice(offset, offset + batchRows).filter((r) => Number.isFinite(r.v) && Number.isFinite(r.t));
        if (batch.length === 0) continue;
        const values = batch.map(() => '(?, ?, ?, ?)').join(', ');
        const params = batch.flatMap((r) => [r.metric, r.route ?? '', Math.round(r.t), r.v]);
        await db.run(`insert into ${table} (metric, route, t, v) values ${values}`, params);
      }
      const now = Date.now();
      if (now - lastPrune > 60_000) {
        lastPrune = now;
        await db.run(`delete from ${table} where t < ?`, [now - retentionMs]);
      }
    },

    async query(metric: HistoryMetric, query: HistoryQuery): Promise<HistoryPoint[]> {
      if (closed) return [];
      const from = query.from ?? 0;
      const to = query.to ?? Date.now();
      // Bucket so one query never returns more than maxPoints, whatever step the caller asked for.
      const minimumStep = Math.ceil((to - from) / maxPoints);
      const step = Math.max(1, Math.floor(query.step ?? 0), Number.isFinite(minimumStep) ? minimumStep : 1);
      const bucket = db.dialect === 'postgres' ? `floor(t / ${step}::double precision)` : `(t / ${step})`;
      const rows = await db.all<{ bucket_t: unknown; v: unknown }>(
        `select min(t) as bucket_t, avg(v) as v from ${table}
         where metric = ? and route = ? and t >= ? and t <= ?
         group by ${bucket} order by bucket_t`,
        [metric, query.route ?? '', Math.floor(from), Math.ceil(to)],
      );
      return rows.map((row) => ({ t: Number(row.bucket_t), v: Number(row.v) }));
    },

    async close() {
      closed = true;
    },
  };
}
