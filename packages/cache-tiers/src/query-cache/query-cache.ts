import { createHash } from 'node:crypto';
import { ConfigError, ValidationError, type CacheSetOptions, type CacheStore } from '@wai/metrics-core';
import { isReadOnly, normalizeSql, tablesOf, tokenizeSql } from './sql-tokens.js';

export interface QueryCacheOptions {
  /** Any `CacheStore` (a `createCache()` cache, core's memory store, your own). */
  cache: CacheStore;
  /** Key and tag prefix. @default 'sql' */
  namespace?: string;
  /** TTL (seconds) when a call gives none. @default 60 */
  defaultTTL?: number;
}

export interface QueryOptions {
  /** Seconds. @default the query cache's defaultTTL */
  ttl?: number;
  /** Extra tags besides the tables read. */
  tags?: readonly string[];
}

/** Runs the statement for real, e.g. `(sql, params) => pool.query(sql, params).then((result) => result.rows)`. */
export type QueryRunner<T> = (sql: string, params: readonly unknown[]) => Promise<T>;

export interface QueryCache {
  /**
   * A read-only statement (SELECT / WITH / VALUES without a write keyword) is answered from the cache, keyed by
   * its normalised text and parameters and tagged with the tables it reads; anything else (INSERT, UPDATE,
   * DELETE, SELECT … FOR UPDATE, DDL) runs uncached, and a write then invalidates the tables it names.
   */
  query<T>(sql: string, params: readonly unknown[], run: QueryRunner<T>, options?: QueryOptions): Promise<T>;
  /** Drops every cached result that read any of these tables (schema-less, case-insensitive names). */
  invalidateTables(tables: readonly string[]): Promise<void>;
  /** The cache key a statement + parameters map to (for inspection and tests). */
  keyFor(sql: string, params?: readonly unknown[]): string;
  /** The tag a table's cached results carry. */
  tableTag(table: string): string;
  /** Tables the statement reads or writes. */
  tablesOf(sql: string): string[];
}

interface MaybeGetOrSet {
  getOrSet?: <T>(key: string, loader: () => Promise<T>, options?: CacheSetOptions) => Promise<T>;
}

/**
 * SQL query-result cache. With a `createCache()` cache, concurrent identical queries run once (its getOrSet
 * single-flight); with a plain `CacheStore` it is cache-aside (get, run, set).
 */
export function createQueryCache(options: QueryCacheOptions): QueryCache {
  const cache = options?.cache;
  if (cache === undefined || typeof cache.get !== 'function' || typeof cache.set !== 'function' || typeof cache.invalidateByTag !== 'function') {
    throw new ConfigError('[wai:cache-tiers] createQueryCache needs `cache`: a CacheStore (get, set, delete, invalidateByTag)');
  }
  const namespace = options.namespace ?? 'sql';
  const defaultTTL = options.defaultTTL ?? 60;
  if (!Number.isFinite(defaultTTL) || defaultTTL <= 0) throw new ConfigError(`[wai:cache-tiers] query cache \`defaultTTL\` must be seconds > 0, got ${String(defaultTTL)}`);
  const getOrSet = (cache as CacheStore & MaybeGetOrSet).getOrSet?.bind(cache);

  const tableTag = (table: string): string => `${namespace}:table:${table.toLowerCase()}`;

  const keyOf = (normalized: string, params: readonly unknown[], tables: readonly string[]): string => {
    const digest = createHash('sha256').update(normalized).update('\u0000').update(serializeParams(params)).digest('base64url').slice(0, 32);
    // The first table in the key lets analytics group traffic per table (`sql:workshops:…`).
    return `${namespace}:${tables[0] ?? '_'}:${digest}`;
  };

  const checkSql = (sql: unknown, params: unknown): void => {
    if (typeof sql !== 'string' || sql.trim().length === 0) throw new ValidationError('E_INVALID_ARGUMENT', '[wai:cache-tiers] query needs a non-empty SQL string');
    if (!Array.isArray(params)) throw new ValidationError('E_INVALID_ARGUMENT', '[wai:cache-tiers] query parameters must be an array (use [] for none)');
  };

  return {
    async query<T>(sql: string, params: readonly unknown[], run: QueryRunner<T>, queryOptions: QueryOptions = {}): Promise<T> {
      checkSql(sql, params);
      if (typeof run !== 'function') throw new ValidationError('E_INVALID_ARGUMENT', '[wai:cache-tiers] query needs a runner function (sql, params) => Promise<result>');
      const tokens = tokenizeSql(sql);
      const tables = tablesOf(tokens);
      if (!isReadOnly(tokens)) {
        const result = await run(sql, params);
        if (tables.length > 0 && tokens.some((token) => token.kind === 'word' && ['insert', 'update', 'delete', 'merge', 'truncate', 'into'].includes(token.text))) {
          await Promise.all(tables.map((table) => cache.invalidateByTag(tableTag(table))));
        }
        return result;
      }
      const key = keyOf(tokens.map((token) => token.text).join(' '), params, tables);
      const setOptions: CacheSetOptions = { ttl: queryOptions.ttl ?? defaultTTL, tags: [...tables.map(tableTag), ...(queryOptions.tags ?? [])] };
      if (getOrSet !== undefined) return getOrSet(key, () => run(sql, params), setOptions);
      const cached = await cache.get<T>(key);
      if (cached !== undefined) return cached;
      const result = await run(sql, params);
      await cache.set(key, result, setOptions);
      return result;
    },
    async invalidateTables(tables) {
      if (!Array.isArray(tables) || tables.some((table) => typeof table !== 'string' || table.length === 0)) {
        throw new ValidationError('E_INVALID_ARGUMENT', '[wai:cache-tiers] invalidateTables needs an array of table names');
      }
      await Promise.all(tables.map((table) => cache.invalidateByTag(tableTag(table.split('.').pop() ?? table))));
    },
    keyFor(sql, params = []) {
      checkSql(sql, params);
      const tokens = tokenizeSql(sql);
      return keyOf(normalizeSql(sql), params, tablesOf(tokens));
    },
    tableTag,
    tablesOf: (sql) => tablesOf(tokenizeSql(sql)),
  };
}

/** Parameters as a stable string: JSON plus type marks for values JSON would blur (Date, BigInt, Buffer, undefined). */
function serializeParams(params: readonly unknown[]): string {
  try {
    return JSON.stringify(params, function (this: unknown, key, value: unknown) {
      const original = (this as Record<string, unknown>)[key];
      if (original instanceof Date) return `\u0000date:${original.toISOString()}`;
      if (typeof value === 'bigint') return `\u0000bigint:${value.toString()}`;
      if (value === undefined) return '\u0000undefined';
      if (typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`a ${typeof value} cannot be a query parameter`);
      if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
        return `\u0000buffer:${Buffer.from((value as { data: number[] }).data).toString('base64')}`;
      }
      return value;
    });
  } catch (error) {
    throw new ValidationError('E_INVALID_ARGUMENT', `[wai:cache-tiers] query parameters must be serialisable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
