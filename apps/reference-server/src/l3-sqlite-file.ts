import { openSqlite, type SqliteConnection } from '@wai/cache-tiers';
import type { Logger } from '@wai/metrics-core';

export interface L3SqliteFileOptions {
  path: string;
  /** Most bytes of the database file: SQLite's `max_page_count`; a write beyond it fails (the fill is not stored). */
  maxBytes: number;
  /** The WAL is checkpointed when it reaches this size and truncated back to it (`journal_size_limit`). */
  walMaxBytes: number;
  /** Interval of the checkpoint and incremental vacuum (the tier purges expired rows on the same interval). */
  maintenanceMs: number;
  /** Longest a statement waits for another process's lock (`busy_timeout`). */
  busyTimeoutMs: number;
  logger: Logger;
}

export interface L3SqliteFile {
  /** The open file (`node:sqlite`, or better-sqlite3 where the runtime lacks it), handed to the L3 tier. */
  database: SqliteConnection;
  /** Runs the checkpoint and vacuum now (the timer does it every `maintenanceMs`). */
  maintain(): void;
  close(): void;
}

/** Free pages returned to the file system per maintenance run: a bounded pause (~10 ms) on the event loop. */
const VACUUM_PAGES_PER_RUN = 2048;

/**
 * The SQLite file behind the L3 cache tier, with bounds on disk. Without them the file only grows: SQLite reuses
 * the pages of purged rows but never gives them back, and a WAL that a checkpoint emptied keeps its size. Here
 * `auto_vacuum = INCREMENTAL` plus a periodic `incremental_vacuum` shrinks the file after purges,
 * `max_page_count` caps it, `wal_autocheckpoint` + `journal_size_limit` + a periodic `wal_checkpoint(TRUNCATE)`
 * bound the WAL (https://www.sqlite.org/pragma.html).
 */
export function openL3SqliteFile(options: L3SqliteFileOptions): L3SqliteFile {
  // SQLite waits for a lock synchronously, blocking the event loop: instances sharing the file may wait no
  // longer than a cache call may take. A write that gives up fails like any slow tier call.
  const database = openSqlite(options.path, { busyTimeout: options.busyTimeoutMs });
  // auto_vacuum only takes effect on an empty file or after a VACUUM (a file created by an older version).
  database.pragma('auto_vacuum = INCREMENTAL');
  if (database.pragma('auto_vacuum') !== 2) database.exec('VACUUM');
  database.pragma('journal_mode = WAL');
  // synchronous=NORMAL: in WAL mode that syncs at checkpoints instead of on every commit (an fsync per write
  // blocks the event loop for milliseconds). A cache may lose its last writes on a power cut; it may not stall
  // every request.
  database.pragma('synchronous = NORMAL');
  const pageSize = Number(database.pragma('page_size'));
  database.pragma(`max_page_count = ${Math.max(16, Math.floor(options.maxBytes / pageSize))}`);
  database.pragma(`journal_size_limit = ${options.walMaxBytes}`);
  database.pragma(`wal_autocheckpoint = ${Math.max(16, Math.floor(options.walMaxBytes / pageSize))}`);

  const maintain = () => {
    try {
      database.pragma('wal_checkpoint(TRUNCATE)');
      database.pragma(`incremental_vacuum(${VACUUM_PAGES_PER_RUN})`);
    } catch (error) {
      // Busy (another instance holds the lock) or closed: the next run tries again.
      options.logger.debug({ err: error }, 'L3 cache file maintenance skipped');
    }
  };
  const timer = setInterval(maintain, options.maintenanceMs);
  timer.unref();
  return {
    database,
    maintain,
    close() {
      clearInterval(timer);
      database.close();
    },
  };
}
