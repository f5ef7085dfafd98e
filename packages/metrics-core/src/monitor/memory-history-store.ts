import type { HistoryMetric, HistoryPoint, HistoryQuery, HistoryRecord, HistoryStore } from '../contracts/history.js';
import { averageBySteps } from './metric-history.js';

export interface MemoryHistoryStoreOptions {
  /** Most records kept across all series; the oldest go first. @default 100000 */
  maxRecords?: number;
}

/**
 * A `HistoryStore` in process memory: the default durable-history shape for tests and single processes (a SQL
 * store lives beside the SQL cache tier in @wai/cache-tiers). Records are kept in arrival order and capped.
 */
export function createMemoryHistoryStore(options: MemoryHistoryStoreOptions = {}): HistoryStore {
  const maxRecords = Math.max(1, Math.floor(options.maxRecords ?? 100_000));
  let records: HistoryRecord[] = [];
  return {
    async append(batch: readonly HistoryRecord[]): Promise<void> {
      for (const record of batch) records.push({ ...record });
      if (records.length > maxRecords) records = records.slice(records.length - maxRecords);
    },
    async query(metric: HistoryMetric, query: HistoryQuery = {}): Promise<HistoryPoint[]> {
      const from = query.from ?? Number.NEGATIVE_INFINITY;
      const to = query.to ?? Number.POSITIVE_INFINITY;
      const points = records
        .filter((record) => record.metric === metric && record.route === query.route && record.t >= from && record.t <= to)
        .map((record) => ({ t: record.t, v: record.v }))
        .sort((a, b) => a.t - b.t);
      return query.step ? averageBySteps(points, query.step) : points;
    },
    async close(): Promise<void> {
      records = [];
    },
  };
}
