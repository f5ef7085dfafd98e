import type BetterSqlite3 from 'better-sqlite3';
import type { CacheTier } from '../tier.js';
import type { TagInvalidationStore } from '../tag-store.js';
import { resolveSqlOptions, rowToEntry, startPurgeTimer, toSqlTime, type SqlRow, type SqlTierCommonOptions } from './sql-common.js';

export interface SqliteTierOptions extends SqlTierCommonOptions {
  /** Database file (created when missing); `':memory:'` for a private in-memory database. @default './wai-cache.db' */
  path?: string;
  /** An open better-sqlite3 database to use instead of `path` (not closed by `close()`). */
  database?: BetterSqlite3.Database;
}

/** The embedded L3 tier: SQLite through better-sqlite3 (loaded lazily: it is an optional peer dependency). */
export interface SqliteTier extends CacheTier, TagInvalidationStore {
  /** Deletes rows past `stale_until` now (also runs every `purgeInterval`); returns how many. */
  purgeExpired(): Promise<number>;
}

interface Statements {
  get: BetterSqlite3.Statement<[string, string, number], SqlRow>;
  upsert: BetterSqlite3.Statement<unknown[]>;
  deleteTags: BetterSqlite3.Statement<[string, string]>;
  insertTag: BetterSqlite3.Statement<[string, string, string]>;
  delete: BetterSqlite3.Statement<[string, string]>;
  deleteByTag: BetterSqlite3.Statement<[string, string, string]>;
  clear: BetterSqlite3.Statement<[string]>;
  purge: BetterSqlite3.Statement<[number]>;
  getStamp: BetterSqlite3.Statement<[string, string], { invalidated_at: number }>;
  setStamp: BetterSqlite3.Statement<[string, string, number]>;
}

export function createSqliteTier(options: SqliteTierOptions = {}): SqliteTier {
  const resolved = resolveSqlOptions(options);
  const { namespace, table, codec, clock } = resolved;
  let database: BetterSqlite3.Database | undefined;
  let setTransaction: ((key: string, params: unknown[], tags: readonly string[]) => void) | undefined;
  let statements: Statements | undefined;

  const ready = (async () => {
    const Database = (await import('better-sqlite3')).default;
    const db = options.database ?? new Database(options.path ?? './wai-cache.db');
    db.pragma('journal_mode = WAL');
    // A cache can lose its last writes on power loss without harm, and with WAL, NORMAL stays consistent;
    // FULL fsyncs every commit (~5 ms of blocked event loop per write measured here, ~0.1 ms with NORMAL).
    // Only applied to databases we open: a caller's own handle keeps the caller's settings.
    if (!options.database) db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.exec(`
      create table if not exists ${table} (
        namespace text not null, key text not null, value blob not null,
        expires_at integer, stale_until integer, created_at integer not null,
        tags text not null default '[]', priority text,
        primary key (namespace, key)
      ) without rowid;
      create index if not exists ${table}_stale on ${table} (stale_until);
      create table if not exists ${table}_tags (
        namespace text not null, tag text not null, key text not null,
        primary key (namespace, tag, key),
        foreign key (namespace, key) references ${table} (namespace, key) on delete cascade
      ) without rowid;
      create index if not exists ${table}_tags_key on ${table}_tags (namespace, key);
      create table if not exists ${table}_tag_stamps (
        namespace text not null, tag text not null, invalidated_at integer not null,
        primary key (namespace, tag)
      ) without rowid;`);
    const prepared: Statements = {
      get: db.prepare(`select value, created_at, expires_at, stale_until, tags, priority from ${table} where namespace = ? and key = ? and (stale_until is null or stale_until > ?)`),
      upsert: db.prepare(`insert into ${table} (namespace, key, value, expires_at, stale_until, created_at, tags, priority) values (?, ?, ?, ?, ?, ?, ?, ?)
        on conflict (namespace, key) do update set value = excluded.value, expires_at = excluded.expires_at, stale_until = excluded.stale_until,
        created_at = excluded.created_at, tags = excluded.tags, priority = excluded.priority`),
      deleteTags: db.prepare(`delete from ${table}_tags where namespace = ? and key = ?`),
      insertTag: db.prepare(`insert or ignore into ${table}_tags (namespace, tag, key) values (?, ?, ?)`),
      delete: db.prepare(`delete from ${table} where namespace = ? and key = ?`),
      // One statement; the tag rows follow through ON DELETE CASCADE.
      deleteByTag: db.prepare(`delete from ${table} where namespace = ? and key in (select key from ${table}_tags where namespace = ? and tag = ?)`),
      clear: db.prepare(`delete from ${table} where namespace = ?`),
      purge: db.prepare(`delete from ${table} where stale_until is not null and stale_until <= ?`),
      getStamp: db.prepare(`select invalidated_at from ${table}_tag_stamps where namespace = ? and tag = ?`),
      setStamp: db.prepare(`insert into ${table}_tag_stamps (namespace, tag, invalidated_at) values (?, ?, ?)
        on conflict (namespace, tag) do update set invalidated_at = max(invalidated_at, excluded.invalidated_at)`),
    };
    setTransaction = db.transaction((key: string, params: unknown[], tags: readonly string[]) => {
      prepared.deleteTags.run(namespace, key);
      prepared.upsert.run(...params);
      for (const tag of tags) prepared.insertTag.run(namespace, tag, key);
    });
    database = db;
    statements = prepared;
  })();
  // Surface an open failure on first use, not as an unhandled rejection.
  ready.catch(() => {});

  const use = async (): Promise<Statements> => {
    await ready;
    if (!statements) throw new Error('[wai:cache-tiers] SQLite tier is closed');
    return statements;
  };

  const tier: SqliteTier = {
    name: 'l3',
    async get(key) {
      const row = (await use()).get.get(namespace, key, clock.now());
      return row ? rowToEntry(row, codec) : undefined;
    },
    async set(key, entry) {
      await use();
      if (entry.staleUntil <= clock.now()) {
        statements!.delete.run(namespace, key);
        return;
      }
      const params = [namespace, key, codec.encode(entry.value), toSqlTime(entry.expiresAt), toSqlTime(entry.staleUntil), Math.round(entry.createdAt), JSON.stringify(entry.tags), entry.priority ?? null];
      setTransaction!(key, params, entry.tags);
    },
    async delete(key) {
      return (await use()).delete.run(namespace, key).changes > 0;
    },
    async deleteByTag(tag) {
      return (await use()).deleteByTag.run(namespace, namespace, tag).changes;
    },
    async clear() {
      (await use()).clear.run(namespace);
    },
    async purgeExpired() {
      return (await use()).purge.run(clock.now()).changes;
    },
    async getTagInvalidations(tags) {
      const prepared = await use();
      return tags.map((tag) => prepared.getStamp.get(namespace, tag)?.invalidated_at ?? 0);
    },
    async setTagInvalidation(tag, at) {
      (await use()).setStamp.run(namespace, tag, Math.round(at));
    },
    async close() {
      timer?.cancel();
      await ready.catch(() => {});
      statements = undefined;
      if (database && !options.database && database.open) database.close();
    },
  };
  const timer = startPurgeTimer(resolved, () => tier.purgeExpired());
  return tier;
}
