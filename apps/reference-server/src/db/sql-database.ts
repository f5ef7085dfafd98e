import { openSqlite, type SqliteStatement } from '@wai/cache-tiers';
import pg from 'pg';

/** A row as drivers return it. */
export type SqlRow = Record<string, unknown>;

export type SqlDialect = 'sqlite' | 'postgres';

/**
 * The few SQL calls the app needs, over SQLite (embedded default: `node:sqlite`, or better-sqlite3 where the
 * runtime lacks it) or pg (with `DATABASE_URL`).
 * Statements use `?` placeholders; the PostgreSQL driver rewrites them to `$1, $2, …`.
 */
export interface SqlDatabase {
  readonly dialect: SqlDialect;
  all<T extends SqlRow = SqlRow>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a write; `rows` holds what a `RETURNING` clause gave back. */
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number; rows: SqlRow[] }>;
  /** Runs statements separated by `;` (schema set-up). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens (and creates) a SQLite file with WAL, so readers never wait for the writer. */
export function openSqliteDatabase(path: string): SqlDatabase {
  const db = openSqlite(path, { busyTimeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Prepared statements are cached by SQL text: the app uses a fixed set of statements.
  const statements = new Map<string, SqliteStatement>();
  const prepare = (sql: string): SqliteStatement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const bind = (params: readonly unknown[]): unknown[] => params.map((p) => (typeof p === 'boolean' ? Number(p) : p));
  let closed = false;
  return {
    dialect: 'sqlite',
    async all<T extends SqlRow>(sql: string, params: readonly unknown[] = []) {
      return prepare(sql).all(...bind(params)) as T[];
    },
    async run(sql, params = []) {
      const statement = prepare(sql);
      if (statement.reader) {
        const rows = statement.all(...bind(params)) as SqlRow[];
        return { changes: rows.length, rows };
      }
      const info = statement.run(...bind(params));
      return { changes: info.changes, rows: [] };
    },
    async exec(sql) {
      db.exec(sql);
    },
    async close() {
      if (closed) return;
      closed = true;
      statements.clear();
      db.close();
    },
  };
}

/** Rewrites `?` placeholders to PostgreSQL's `$n` (the app's SQL never has `?` inside string literals). */
function toPostgresPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

export interface PostgresDatabaseOptions {
  connectionString: string;
  /** Pool size. @default 10 */
  max?: number;
  /** Per-statement timeout, so a stuck server fails a request instead of hanging it (ms). @default 5000 */
  statementTimeoutMs?: number;
}

export function openPostgresDatabase(options: PostgresDatabaseOptions): SqlDatabase & { pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    statement_timeout: options.statementTimeoutMs ?? 5_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const translated = new Map<string, string>();
  const translate = (sql: string): string => {
    let text = translated.get(sql);
    if (text === undefined) {
      text = toPostgresPlaceholders(sql);
      translated.set(sql, text);
    }
    return text;
  };
  let closed = false;
  return {
    dialect: 'postgres',
    pool,
    async all<T extends SqlRow>(sql: string, params: readonly unknown[] = []) {
      const result = await pool.query(translate(sql), params as unknown[]);
      return result.rows as T[];
    },
    async run(sql, params = []) {
      const result = await pool.query(translate(sql), params as unknown[]);
      return { changes: result.rowCount ?? 0, rows: result.rows as SqlRow[] };
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
