import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { WaiError } from '@wai/metrics-core';

/**
 * One small connection interface over the two SQLite drivers: `node:sqlite` (built into Node ≥ 22.13, no native
 * build) and better-sqlite3 (an optional peer dependency, the driver for older runtimes). The tier, the handoff
 * table and apps that share the cache file program against this, never against a driver directly.
 *
 * The driver types below are structural on purpose: the public `.d.ts` must not import `better-sqlite3` (an
 * optional peer) nor rely on `@types/node` knowing `node:sqlite`.
 */

/** `'node:sqlite'` (Node ≥ 22.13) or `'better-sqlite3'` (the optional peer dependency). */
export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

/** A row as the driver returns it (`node:sqlite` rows have a null prototype; BLOBs are `Uint8Array`/`Buffer`). */
export type SqliteRow = Record<string, unknown>;

export interface SqliteStatement {
  get(...params: unknown[]): SqliteRow | undefined;
  all(...params: unknown[]): SqliteRow[];
  run(...params: unknown[]): { changes: number };
  /** True when the statement returns rows (a `select`, a `pragma`, a write with `returning`). */
  readonly reader: boolean;
}

/** An open SQLite database behind either driver. */
export interface SqliteConnection {
  readonly driver: SqliteDriverName;
  /** The driver's own handle (a better-sqlite3 `Database` or a `node:sqlite` `DatabaseSync`). */
  readonly database: SqliteDatabaseHandle;
  /** Runs one or more statements separated by `;`. */
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /** Runs `pragma <text>` and returns the first column of the first row (`undefined` when it returns none). */
  pragma(text: string): unknown;
  /** Runs `work` inside `BEGIN IMMEDIATE … COMMIT` (rolled back when it throws): the write lock is taken up front. */
  immediate<T>(work: () => T): T;
  readonly open: boolean;
  close(): void;
}

/** Either driver's database handle, as far as this package needs to know it. */
export interface SqliteDatabaseHandle {
  prepare(sql: string): unknown;
  exec(sql: string): unknown;
  close(): unknown;
}

export interface OpenSqliteOptions {
  /** Which driver opens the file. @default 'node:sqlite' where the runtime has it, else 'better-sqlite3' */
  driver?: SqliteDriverName | undefined;
  /** Longest a statement waits for another connection's lock, in ms (`busy_timeout`). @default 5000 */
  busyTimeout?: number;
}

/** The parts of better-sqlite3 used here. */
interface BetterSqlite3Statement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
  readonly reader: boolean;
}
interface BetterSqlite3Database {
  prepare(sql: string): BetterSqlite3Statement;
  exec(sql: string): unknown;
  pragma(text: string): unknown;
  transaction<T>(work: () => T): { immediate(): T };
  readonly open: boolean;
  close(): unknown;
}
type BetterSqlite3Constructor = new (path: string) => BetterSqlite3Database;

/** The parts of `node:sqlite` used here (22.13 has no `isOpen` nor `columns()`: both are optional). */
interface NodeSqliteStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint };
  columns?(): unknown[];
}
interface NodeSqliteDatabase {
  prepare(sql: string): NodeSqliteStatement;
  exec(sql: string): void;
  close(): void;
  readonly isOpen?: boolean;
}
interface NodeSqliteModule {
  DatabaseSync: new (path: string) => NodeSqliteDatabase;
}

/** The driver is not installed (or not built for this Node), or the runtime lacks `node:sqlite`. */
export class SqliteDriverMissingError extends WaiError {
  constructor(message: string, options: { cause?: unknown; driver: SqliteDriverName | 'any' }) {
    super('E_SQLITE_DRIVER_MISSING', message, { cause: options.cause, details: { driver: options.driver }, statusCode: 500 });
  }
}

const requireHere = createRequire(import.meta.url);

/**
 * How each driver is loaded. Tests replace an entry to make a driver fail to load exactly as a missing package
 * does; nothing else should touch it.
 */
export const sqliteDriverLoaders: { [name in SqliteDriverName]: () => unknown } = {
  'node:sqlite': () => {
    // Before 22.13 the module is behind --experimental-sqlite; getBuiltinModule then gives undefined.
    const module = process.getBuiltinModule?.('node:sqlite');
    if (!module) throw new Error(`node:sqlite is not built into Node ${process.version} (it is from 22.13)`);
    return module;
  },
  'better-sqlite3': () => {
    const module = interopDefault(requireHere('better-sqlite3')) as BetterSqlite3Constructor;
    // The native binding loads on first open: a package installed but not built (or built for another Node's
    // ABI) fails here, where it can still be reported as a missing driver, not on the first cache call.
    new module(':memory:').close();
    return module;
  },
};

const loaded = new Map<SqliteDriverName, { module?: unknown; error?: unknown }>();

function load(name: SqliteDriverName): { module?: unknown; error?: unknown } {
  let result = loaded.get(name);
  if (!result) {
    try {
      result = { module: sqliteDriverLoaders[name]() };
    } catch (error) {
      result = { error };
    }
    // A failure is not cached: a test (or an install at run time) may make the driver appear later.
    if (result.module) loaded.set(name, result);
  }
  return result;
}

/** Forgets loaded drivers (for tests that swap `sqliteDriverLoaders`). */
export function resetSqliteDrivers(): void {
  loaded.clear();
}

/** The drivers this process can load, preferred first. */
export function availableSqliteDrivers(): SqliteDriverName[] {
  return (['node:sqlite', 'better-sqlite3'] as const).filter((name) => load(name).module !== undefined);
}

const NODE_SQLITE_HINT = 'node:sqlite, built into Node >= 22.13 (no install, no native build)';
const BETTER_SQLITE3_HINT = 'better-sqlite3 (npm install better-sqlite3; it builds a native module for this Node)';

/** Picks and loads a driver; throws `SqliteDriverMissingError` naming what to install when none can load. */
export function resolveSqliteDriver(requested?: SqliteDriverName): { name: SqliteDriverName; module: unknown } {
  if (requested !== undefined && requested !== 'node:sqlite' && requested !== 'better-sqlite3') {
    throw new SqliteDriverMissingError(`[wai:cache-tiers] sqliteDriver must be 'node:sqlite' or 'better-sqlite3' (got ${JSON.stringify(requested)})`, { driver: 'any' });
  }
  const reason = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0] : String(error));
  if (requested === 'better-sqlite3') {
    const { module, error } = load('better-sqlite3');
    if (module) return { name: 'better-sqlite3', module };
    const alternative = load('node:sqlite').module ? `, or leave sqliteDriver unset to use ${NODE_SQLITE_HINT}` : `, or run on Node >= 22.13 to use node:sqlite`;
    throw new SqliteDriverMissingError(`[wai:cache-tiers] the SQLite driver better-sqlite3 could not be loaded (${reason(error)}): install ${BETTER_SQLITE3_HINT}${alternative}`, { cause: error, driver: 'better-sqlite3' });
  }
  if (requested === 'node:sqlite') {
    const { module, error } = load('node:sqlite');
    if (module) return { name: 'node:sqlite', module };
    throw new SqliteDriverMissingError(`[wai:cache-tiers] the SQLite driver node:sqlite is not available (${reason(error)}): run on Node >= 22.13, or install ${BETTER_SQLITE3_HINT} and pass sqliteDriver: 'better-sqlite3'`, { cause: error, driver: 'node:sqlite' });
  }
  const builtIn = load('node:sqlite');
  if (builtIn.module) return { name: 'node:sqlite', module: builtIn.module };
  const optional = load('better-sqlite3');
  if (optional.module) return { name: 'better-sqlite3', module: optional.module };
  throw new SqliteDriverMissingError(
    `[wai:cache-tiers] no SQLite driver for the L3 tier: Node ${process.version} has no node:sqlite and better-sqlite3 could not be loaded (${reason(optional.error)}). Use ${NODE_SQLITE_HINT}, or install ${BETTER_SQLITE3_HINT}`,
    { cause: optional.error, driver: 'any' },
  );
}

/** Opens (and creates) a SQLite file, or `':memory:'`, with the driver asked for or the default one. */
export function openSqlite(path: string, options: OpenSqliteOptions = {}): SqliteConnection {
  const { name, module } = resolveSqliteDriver(options.driver);
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
  const handle: SqliteDatabaseHandle =
    name === 'node:sqlite' ? new (module as NodeSqliteModule).DatabaseSync(path) : new (module as BetterSqlite3Constructor)(path);
  const connection = toSqliteConnection(handle);
  // better-sqlite3 waits 5 s for a lock by default, node:sqlite not at all: the same wait for both.
  connection.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeout ?? 5000))}`);
  return connection;
}

/** Wraps an open database of either driver (or returns a connection as it is); never imports a driver. */
export function toSqliteConnection(database: SqliteDatabaseHandle | SqliteConnection): SqliteConnection {
  if (isSqliteConnection(database)) return database;
  if (isBetterSqlite3(database)) return fromBetterSqlite3(database);
  return fromNodeSqlite(database as unknown as NodeSqliteDatabase);
}

function isSqliteConnection(value: unknown): value is SqliteConnection {
  const candidate = value as Partial<SqliteConnection>;
  return typeof candidate.immediate === 'function' && typeof candidate.driver === 'string' && typeof candidate.pragma === 'function';
}

function isBetterSqlite3(value: unknown): value is BetterSqlite3Database {
  const candidate = value as Partial<BetterSqlite3Database>;
  return typeof candidate.pragma === 'function' && typeof candidate.transaction === 'function';
}

function interopDefault(module: unknown): unknown {
  return typeof module === 'function' ? module : (module as { default: unknown }).default;
}

function fromBetterSqlite3(db: BetterSqlite3Database): SqliteConnection {
  return {
    driver: 'better-sqlite3',
    database: db,
    exec: (sql) => void db.exec(sql),
    prepare(sql) {
      const statement = db.prepare(sql);
      // better-sqlite3 refuses get/all on a statement that returns nothing; node:sqlite runs it. Same for both here.
      const reader = statement.reader;
      return {
        reader,
        get: (...params) => (reader ? (statement.get(...params) as SqliteRow | undefined) : (statement.run(...params), undefined)),
        all: (...params) => (reader ? (statement.all(...params) as SqliteRow[]) : (statement.run(...params), [])),
        run: (...params) => ({ changes: reader ? statement.all(...params).length : statement.run(...params).changes }),
      };
    },
    pragma: (text) => firstValue((db.pragma(text) as SqliteRow[])[0]),
    immediate: (work) => db.transaction(work).immediate(),
    get open() {
      return db.open;
    },
    close: () => void db.close(),
  };
}

function fromNodeSqlite(db: NodeSqliteDatabase): SqliteConnection {
  let closed = false;
  return {
    driver: 'node:sqlite',
    database: db,
    exec: (sql) => db.exec(sql),
    prepare(sql) {
      const statement = db.prepare(sql);
      // columns() arrived in 22.16; before it, a statement reads when it is a query or has `returning`.
      const reader = typeof statement.columns === 'function' ? statement.columns().length > 0 : /^\s*(select|with|pragma|values|explain)\b|\breturning\b/i.test(sql);
      return {
        reader,
        get: (...params) => statement.get(...bindable(params)) as SqliteRow | undefined,
        all: (...params) => statement.all(...bindable(params)) as SqliteRow[],
        run: (...params) => ({ changes: Number(statement.run(...bindable(params)).changes) }),
      };
    },
    // all(), not get(): a pragma such as incremental_vacuum works as it is stepped to the end.
    pragma: (text) => firstValue(db.prepare(`pragma ${text}`).all()[0] as SqliteRow | undefined),
    immediate(work) {
      db.exec('begin immediate');
      let result;
      try {
        result = work();
      } catch (error) {
        rollback(db);
        throw error;
      }
      try {
        db.exec('commit');
      } catch (error) {
        rollback(db);
        throw error;
      }
      return result;
    },
    get open() {
      return db.isOpen ?? !closed;
    },
    close() {
      closed = true;
      db.close();
    },
  };
}

/**
 * node:sqlite on Node 22 binds a zero-length view as NULL once its buffer has been moved off the V8 heap (which
 * better-sqlite3 does to every Buffer it binds): a tombstone's empty value then breaks `value not null`. A fresh
 * empty array is bound as the empty BLOB it is.
 */
function bindable(params: unknown[]): unknown[] {
  for (const value of params) {
    if (value instanceof Uint8Array && value.byteLength === 0) {
      return params.map((param) => (param instanceof Uint8Array && param.byteLength === 0 ? new Uint8Array(0) : param));
    }
  }
  return params;
}

function rollback(db: NodeSqliteDatabase): void {
  try {
    db.exec('rollback');
  } catch {
    // SQLite already rolled back (a full disk, an I/O error): nothing is left to undo.
  }
}

function firstValue(row: SqliteRow | undefined): unknown {
  if (!row) return undefined;
  for (const key in row) return row[key];
  return undefined;
}
