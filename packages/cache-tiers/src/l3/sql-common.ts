import { ConfigError, systemClock, type Clock, type TimerHandle } from '@wai/metrics-core';
import type { CacheEntry } from '../tier.js';
import { assertValidNamespace } from '../l2/redis-keys.js';
import { createCodec, type Codec, type Serializer } from '../serializer.js';
import { DEFAULT_FILL_WINDOW_MS } from '../tag-store.js';

/** Options every SQL tier accepts. */
export interface SqlTierCommonOptions {
  /** Rows are scoped by this value; `clear()` never touches other namespaces. @default 'wai' */
  namespace?: string;
  /** Table name; side tables are `<table>_tags`, `<table>_tag_versions` and `<table>_clock`. @default 'wai_cache' */
  table?: string;
  /** @default jsonSerializer */
  serializer?: Serializer;
  /** Payloads above this many bytes are deflated; `false` disables. @default 1024 */
  compressionThreshold?: number | false;
  /** Ms between background purges of rows past `stale_until`; `0` disables. @default 60000 */
  purgeInterval?: number;
  /**
   * Ms a delete's tombstone and a written row's version are kept past the row itself, so that a load begun
   * before the write and finishing later is refused. Loads slower than this are not stored. @default 60000
   */
  fillWindow?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Errors of the background purge (otherwise swallowed). */
  onError?: (error: Error) => void;
}

export interface SqlRow {
  value: Buffer | Uint8Array;
  created_at: number | string;
  expires_at: number | string | null;
  stale_until: number | string | null;
  tags: string | string[];
  priority: string | null;
}

export interface ResolvedSqlOptions {
  namespace: string;
  table: string;
  codec: Codec;
  purgeInterval: number;
  fillWindow: number;
  clock: Clock;
  onError: (error: Error) => void;
}

export function resolveSqlOptions(options: SqlTierCommonOptions): ResolvedSqlOptions {
  const namespace = options.namespace ?? 'wai';
  assertValidNamespace(namespace);
  const table = options.table ?? 'wai_cache';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(table)) throw new ConfigError(`[wai:cache-tiers] table must be a plain SQL identifier (got ${JSON.stringify(table)})`);
  const purgeInterval = options.purgeInterval ?? 60_000;
  if (!Number.isFinite(purgeInterval) || purgeInterval < 0) throw new ConfigError('[wai:cache-tiers] purgeInterval must be a number of ms >= 0');
  const fillWindow = options.fillWindow ?? DEFAULT_FILL_WINDOW_MS;
  if (!Number.isFinite(fillWindow) || fillWindow < 1) throw new ConfigError('[wai:cache-tiers] fillWindow must be a number of ms >= 1');
  return {
    namespace,
    table,
    codec: createCodec({
      ...(options.serializer ? { serializer: options.serializer } : {}),
      compressionThreshold: options.compressionThreshold ?? 1024,
    }),
    purgeInterval,
    fillWindow,
    clock: options.clock ?? systemClock,
    onError: options.onError ?? (() => {}),
  };
}

/** Infinity is stored as NULL (SQL integers have no infinity). */
export const toSqlTime = (time: number): number | null => (time === Infinity ? null : Math.round(time));
const fromSqlTime = (time: number | string | null): number => (time === null ? Infinity : Number(time));

export function rowToEntry(row: SqlRow, codec: Codec): CacheEntry {
  const entry: CacheEntry = {
    value: codec.decode(Buffer.isBuffer(row.value) ? row.value : Buffer.from(row.value.buffer, row.value.byteOffset, row.value.byteLength)),
    createdAt: Number(row.created_at),
    expiresAt: fromSqlTime(row.expires_at),
    staleUntil: fromSqlTime(row.stale_until),
    tags: typeof row.tags === 'string' ? (JSON.parse(row.tags) as string[]) : row.tags,
  };
  if (row.priority === 'low' || row.priority === 'medium' || row.priority === 'high') entry.priority = row.priority;
  return entry;
}

/**
 * Until when a row is kept: its serving window or the fill window, whichever ends later (its version must outlive
 * it, see `fillWindow`); null when it never expires.
 */
export const keepUntil = (staleUntil: number, now: number, fillWindow: number): number | null => (staleUntil === Infinity ? null : Math.round(Math.max(staleUntil, now + fillWindow)));

/** Runs `purge` every `interval` ms on the (unref'd) clock; failures go to `onError`, never unhandled. */
export function startPurgeTimer(resolved: ResolvedSqlOptions, purge: () => Promise<unknown>): TimerHandle | undefined {
  if (resolved.purgeInterval === 0) return undefined;
  let running = false;
  return resolved.clock.setInterval(() => {
    if (running) return;
    running = true;
    purge()
      .catch((error: unknown) => resolved.onError(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        running = false;
      });
  }, resolved.purgeInterval);
}

/** The value column of a tombstone (never decoded: a tombstone is never served). */
export const EMPTY = Buffer.alloc(0);
/** What `delete` writes: nothing to serve, only the delete's version. */
export const TOMBSTONE: CacheEntry = { value: null, createdAt: 0, expiresAt: 0, staleUntil: 0, tags: [] };
