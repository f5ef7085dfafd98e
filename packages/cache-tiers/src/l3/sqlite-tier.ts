import { MAX_HANDOFFS, type CacheEntry, type HandoffOperation, type HandoffTier, type VersionedTier } from '../tier.js';
import { EMPTY, TOMBSTONE, keepUntil, resolveSqlOptions, rowToEntry, startPurgeTimer, toSqlTime, type SqlRow, type SqlTierCommonOptions } from './sql-common.js';
import { openSqlite, resolveSqliteDriver, toSqliteConnection, type SqliteConnection, type SqliteDatabaseHandle, type SqliteDriverName } from './sqlite-driver.js';

export interface SqliteTierOptions extends SqlTierCommonOptions {
  /** Database file (created when missing); `':memory:'` for a private in-memory database. @default './wai-cache.db' */
  path?: string;
  /**
   * An open database to use instead of `path` (not closed by `close()`): a `node:sqlite` `DatabaseSync`, a
   * better-sqlite3 `Database` or a connection from `openSqlite`. No driver is loaded when one is passed.
   */
  database?: SqliteDatabaseHandle | SqliteConnection;
  /**
   * The driver that opens `path`: `'node:sqlite'` (built into Node >= 22.13) or `'better-sqlite3'` (an optional
   * peer dependency). A driver that cannot load fails `createSqliteTier` (and so `createCache`) with a
   * `SqliteDriverMissingError` naming what to install. Ignored when `database` is passed.
   * @default 'node:sqlite' where the runtime has it, else 'better-sqlite3'
   */
  sqliteDriver?: SqliteDriverName;
}

/** The embedded L3 tier: SQLite through `node:sqlite` or better-sqlite3 (see `sqliteDriver`). */
export interface SqliteTier extends VersionedTier, HandoffTier {
  /** Deletes rows past `stale_until` and the fill window now (also runs every `purgeInterval`); returns how many. */
  purgeExpired(): Promise<number>;
}

interface Statement<P extends unknown[] = unknown[], R = unknown> {
  get(...params: P): R | undefined;
  all(...params: P): R[];
  run(...params: P): { changes: number };
}
interface Statements {
  get: Statement<[string, string, number], SqlRow>;
  upsert: Statement;
  deleteTags: Statement<[string, string]>;
  insertTag: Statement<[string, string, string]>;
  visible: Statement<[string, string, number], { one: number }>;
  rowVersion: Statement<[string, string], { version: number }>;
  deleteByTag: Statement<[string, string, string]>;
  clear: Statement<[string]>;
  purge: Statement<[number]>;
  bump: Statement<[string], { version: number }>;
  readClock: Statement<[string], { version: number; cleared: number }>;
  setCleared: Statement<[number, string]>;
  tagVersion: Statement<[string, string], { version: number }>;
  stampTag: Statement<[string, string, number]>;
  handOff: Statement<[string, string]>;
  countHandoffs: Statement<[string], { count: number }>;
  clearHandoffs: Statement<[string]>;
  readHandoffs: Statement<[string, number], { id: number; operation: string }>;
  deleteHandoffs: Statement<[string, number]>;
}

export function createSqliteTier(options: SqliteTierOptions = {}): SqliteTier {
  const resolved = resolveSqlOptions(options);
  const { namespace, table, codec, clock, fillWindow } = resolved;
  // The driver loads here, synchronously: a missing one fails the factory (and createCache) with a typed error
  // naming what to install. Opening the file stays lazy: a file that cannot open is a tier failure, not a crash.
  const driver = options.database ? undefined : resolveSqliteDriver(options.sqliteDriver).name;
  let database: SqliteConnection | undefined;
  let statements: Statements | undefined;
  // Every write runs as BEGIN IMMEDIATE: processes sharing the file take the write lock up front, so a
  // version check and the write it guards can never interleave with another process's write.
  const writeTransaction = <T>(work: () => T): T => database!.immediate(work);

  const ready = (async () => {
    const db = options.database ? toSqliteConnection(options.database) : openSqlite(options.path ?? './wai-cache.db', { driver });
    database = db;
    db.pragma('journal_mode = WAL');
    // A cache can lose its last writes on power loss without harm, and with WAL, NORMAL stays consistent;
    // FULL fsyncs every commit (milliseconds of blocked event loop per write, a fraction of one with NORMAL).
    // Only applied to databases we open: a caller's own handle keeps the caller's settings.
    if (!options.database) db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.exec(`
      create table if not exists ${table} (
        namespace text not null, key text not null, value blob not null,
        expires_at integer, stale_until integer, created_at integer not null,
        tags text not null default '[]', priority text,
        version integer not null default 0, keep_until integer,
        primary key (namespace, key)
      ) without rowid;
      create table if not exists ${table}_tags (
        namespace text not null, tag text not null, key text not null,
        primary key (namespace, tag, key),
        foreign key (namespace, key) references ${table} (namespace, key) on delete cascade
      ) without rowid;
      create index if not exists ${table}_tags_key on ${table}_tags (namespace, key);
      create table if not exists ${table}_tag_versions (
        namespace text not null, tag text not null, version integer not null,
        primary key (namespace, tag)
      ) without rowid;
      create table if not exists ${table}_clock (
        namespace text not null primary key, version integer not null, cleared integer not null default 0
      ) without rowid;
      create table if not exists ${table}_handoff (
        id integer primary key autoincrement, namespace text not null, operation text not null
      );
      create index if not exists ${table}_handoff_ns on ${table}_handoff (namespace, id);`);
    // Tables made by earlier releases lack the version columns.
    const columns = new Set((db.prepare(`pragma table_info(${table})`).all() as Array<{ name: string }>).map((column) => column.name));
    if (!columns.has('version')) db.exec(`alter table ${table} add column version integer not null default 0`);
    if (!columns.has('keep_until')) db.exec(`alter table ${table} add column keep_until integer; update ${table} set keep_until = stale_until`);
    db.exec(`create index if not exists ${table}_keep on ${table} (keep_until)`);
    const prepared = {
      // A row is served while fresh or in grace, unless one of its tags got a later version than the row.
      get: db.prepare(`select value, created_at, expires_at, stale_until, tags, priority from ${table} c
        where namespace = ? and key = ? and (stale_until is null or stale_until > ?)
        and not exists (select 1 from ${table}_tags g join ${table}_tag_versions s on s.namespace = g.namespace and s.tag = g.tag
                        where g.namespace = c.namespace and g.key = c.key and s.version > c.version)`),
      upsert: db.prepare(`insert into ${table} (namespace, key, value, expires_at, stale_until, created_at, tags, priority, version, keep_until) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        on conflict (namespace, key) do update set value = excluded.value, expires_at = excluded.expires_at, stale_until = excluded.stale_until,
        created_at = excluded.created_at, tags = excluded.tags, priority = excluded.priority, version = excluded.version, keep_until = excluded.keep_until`),
      deleteTags: db.prepare(`delete from ${table}_tags where namespace = ? and key = ?`),
      insertTag: db.prepare(`insert or ignore into ${table}_tags (namespace, tag, key) values (?, ?, ?)`),
      visible: db.prepare(`select 1 as one from ${table} where namespace = ? and key = ? and (stale_until is null or stale_until > ?)`),
      rowVersion: db.prepare(`select version from ${table} where namespace = ? and key = ?`),
      // One statement; the tag rows follow through ON DELETE CASCADE.
      deleteByTag: db.prepare(`delete from ${table} where namespace = ? and key in (select key from ${table}_tags where namespace = ? and tag = ?)`),
      clear: db.prepare(`delete from ${table} where namespace = ?`),
      purge: db.prepare(`delete from ${table} where keep_until is not null and keep_until <= ?`),
      bump: db.prepare(`insert into ${table}_clock (namespace, version) values (?, 1) on conflict (namespace) do update set version = version + 1 returning version`),
      readClock: db.prepare(`select version, cleared from ${table}_clock where namespace = ?`),
      setCleared: db.prepare(`update ${table}_clock set cleared = ? where namespace = ?`),
      tagVersion: db.prepare(`select version from ${table}_tag_versions where namespace = ? and tag = ?`),
      stampTag: db.prepare(`insert into ${table}_tag_versions (namespace, tag, version) values (?, ?, ?)
        on conflict (namespace, tag) do update set version = max(version, excluded.version)`),
      handOff: db.prepare(`insert into ${table}_handoff (namespace, operation) values (?, ?)`),
      countHandoffs: db.prepare(`select count(*) as count from ${table}_handoff where namespace = ?`),
      clearHandoffs: db.prepare(`delete from ${table}_handoff where namespace = ?`),
      readHandoffs: db.prepare(`select id, operation from ${table}_handoff where namespace = ? order by id limit ?`),
      deleteHandoffs: db.prepare(`delete from ${table}_handoff where namespace = ? and id <= ?`),
    };
    statements = prepared as unknown as Statements;
  })();
  // Surface an open failure on first use, not as an unhandled rejection.
  ready.catch(() => {});

  const use = async (): Promise<Statements> => {
    await ready;
    if (!statements) throw new Error('[wai:cache-tiers] SQLite tier is closed');
    return statements;
  };

  /** Writes the row (and its tag rows) with `version`; a row already past serving becomes a tombstone. */
  const writeRow = (prepared: Statements, key: string, entry: CacheEntry, version: number) => {
    const now = clock.now();
    prepared.deleteTags.run(namespace, key);
    if (entry.staleUntil <= now) {
      prepared.upsert.run(namespace, key, EMPTY, 0, 0, Math.round(now), '[]', null, version, Math.round(now + fillWindow));
      return;
    }
    prepared.upsert.run(namespace, key, codec.encode(entry.value), toSqlTime(entry.expiresAt), toSqlTime(entry.staleUntil), Math.round(entry.createdAt), JSON.stringify(entry.tags), entry.priority ?? null, version, keepUntil(entry.staleUntil, now, fillWindow));
    for (const tag of entry.tags) prepared.insertTag.run(namespace, tag, key);
  };

  const tier: SqliteTier = {
    name: 'l3',
    versioned: true,
    fillWindow,
    async get(key) {
      const row = (await use()).get.get(namespace, key, clock.now());
      return row ? rowToEntry(row, codec) : undefined;
    },
    async set(key, entry) {
      const prepared = await use();
      writeTransaction(() => writeRow(prepared, key, entry, prepared.bump.get(namespace)!.version));
    },
    async fill(key, entry, since) {
      const prepared = await use();
      return writeTransaction(() => {
        const clockRow = prepared.readClock.get(namespace);
        if (clockRow && clockRow.cleared > since) return false;
        if ((prepared.rowVersion.get(namespace, key)?.version ?? 0) > since) return false;
        for (const tag of entry.tags) if ((prepared.tagVersion.get(namespace, tag)?.version ?? 0) > since) return false;
        writeRow(prepared, key, entry, since);
        return true;
      });
    },
    async version() {
      return (await use()).readClock.get(namespace)?.version ?? 0;
    },
    async delete(key) {
      const prepared = await use();
      return writeTransaction(() => {
        const existed = prepared.visible.get(namespace, key, clock.now()) !== undefined;
        // A tombstone keeps the delete's version: fills begun before the delete are refused.
        writeRow(prepared, key, TOMBSTONE, prepared.bump.get(namespace)!.version);
        return existed;
      });
    },
    async deleteByTag(tag) {
      return (await use()).deleteByTag.run(namespace, namespace, tag).changes;
    },
    async invalidateTag(tag) {
      const prepared = await use();
      writeTransaction(() => prepared.stampTag.run(namespace, tag, prepared.bump.get(namespace)!.version));
    },
    async clear() {
      const prepared = await use();
      writeTransaction(() => {
        prepared.setCleared.run(prepared.bump.get(namespace)!.version, namespace);
        prepared.clear.run(namespace);
      });
    },
    handoff: true,
    async handOff(operations) {
      const prepared = await use();
      writeTransaction(() => {
        for (const operation of operations) prepared.handOff.run(namespace, JSON.stringify(operation));
        if (prepared.countHandoffs.get(namespace)!.count > MAX_HANDOFFS) {
          prepared.clearHandoffs.run(namespace);
          prepared.handOff.run(namespace, JSON.stringify({ op: 'clear' } satisfies HandoffOperation));
        }
      });
    },
    async takeHandoffs(limit) {
      const prepared = await use();
      return writeTransaction(() => {
        const rows = prepared.readHandoffs.all(namespace, limit);
        if (rows.length > 0) prepared.deleteHandoffs.run(namespace, rows[rows.length - 1]!.id);
        return rows.map((row) => JSON.parse(row.operation) as HandoffOperation);
      });
    },
    async purgeExpired() {
      return (await use()).purge.run(clock.now()).changes;
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

