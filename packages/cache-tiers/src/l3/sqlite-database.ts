/**
 * An open better-sqlite3 database as the public types describe it, written out so they do not import
 * better-sqlite3 (an optional peer): a TypeScript user without it must still compile with `skipLibCheck: false`.
 * A better-sqlite3 `Database` fits; the tier's own code keeps better-sqlite3's exact types.
 */
export interface SqliteDatabase {
  exec(source: string): unknown;
  prepare(source: string): unknown;
  pragma(source: string): unknown;
  close(): unknown;
}
