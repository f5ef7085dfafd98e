import type { Pool, PoolClient, PoolConfig } from 'pg';
import { ConfigError } from '@wai/metrics-core';
import type { PgPool, PgPoolOptions } from './pg-pool.js';
import { MAX_HANDOFFS, type CacheEntry, type HandoffOperation, type HandoffTier, type VersionedTier } from '../tier.js';
import { EMPTY, TOMBSTONE, keepUntil, resolveSqlOptions, rowToEntry, startPurgeTimer, toSqlTime, type SqlRow, type SqlTierCommonOptions } from './sql-common.js';

export interface PostgresTierOptions extends SqlTierCommonOptions {
  /** `postgres://…`; a pool is opened (and closed by `close()`). */
  connectionString?: string;
  /** Extra settings for the pool opened from `connectionString`. */
  poolOptions?: PgPoolOptions;
  /** An existing pg Pool to use (never ended by `close()`). */
  pool?: PgPool;
  /** Statement timeout (ms) for pools this tier opens, so a stuck server cannot hold callers. @default 2000 */
  statementTimeout?: number;
  /**
   * Connections a pool this tier opens sets up before its first call and keeps open (pg-pool's `min`, and no idle
   * timeout below it). Calls then never wait for a connection to be set up: on PostgreSQL that is a server
   * process fork, tens of milliseconds under load: several times a cache call's deadline.
   * @default the pool's `max` (pg's default is 10)
   */
  warmConnections?: number;
  /**
   * `synchronous_commit` for the sessions of a pool this tier opens. Off by default: a write does not wait for
   * its WAL flush (a server crash may lose the last ~0.6 s of cache writes, never corrupt or half-apply one; see
   * the PostgreSQL manual, "Asynchronous Commit"), so writes hold pool connections for less time.
   * @default false
   */
  synchronousCommit?: boolean;
}

/** The L3 tier on PostgreSQL through pg (loaded lazily: it is an optional peer dependency). */
export interface PostgresTier extends VersionedTier, HandoffTier {
  purgeExpired(): Promise<number>;
}

export function createPostgresTier(options: PostgresTierOptions = {}): PostgresTier {
  const resolved = resolveSqlOptions(options);
  const { namespace, table, codec, clock, fillWindow } = resolved;
  if (!options.pool && !options.connectionString) {
    throw new TypeError('[wai:cache-tiers] the postgres tier needs `connectionString` or `pool`');
  }
  let pool: Pool | undefined;
  let closed = false;

  const warmConnections = options.warmConnections ?? options.poolOptions?.min ?? options.poolOptions?.max ?? 10;
  if (!Number.isInteger(warmConnections) || warmConnections < 0) throw new ConfigError('[wai:cache-tiers] warmConnections must be an integer >= 0');

  const ready = (async () => {
    let warming: Promise<unknown> = Promise.resolve();
    // The public option is pg's Pool described structurally (see pg-pool.ts); it is one.
    if (options.pool) pool = options.pool as Pool;
    else {
      const pg = (await import('pg')).default;
      const opened = new pg.Pool({
        connectionString: options.connectionString,
        statement_timeout: options.statementTimeout ?? 2000,
        // A cache must not keep the process alive (the purge timer is unref'd for the same reason).
        allowExitOnIdle: true,
        ...(options.poolOptions as Omit<PoolConfig, 'connectionString'> | undefined),
        min: Math.min(warmConnections, options.poolOptions?.max ?? 10),
      });
      pool = opened;
      opened.on('error', (error) => resolved.onError(error));
      if (!options.synchronousCommit) {
        // Queued on the new connection before the query it was opened for, so that query already runs with it.
        opened.on('connect', (client) => void client.query('set synchronous_commit = off').catch((error: Error) => resolved.onError(error)));
      }
      warming = warm(opened, Math.min(warmConnections, opened.options.max ?? 10) - 1);
    }
    const client = await pool.connect();
    try {
      // DDL under an advisory lock: instances starting together would otherwise race on CREATE ... IF NOT EXISTS.
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [`wai-cache:${table}`]);
      // The clock row first (FOR SHARE needs a row), before any statement below locks the cache table: an instance
      // already serving holds the clock row while it writes that table, and the reverse order would deadlock.
      await client.query(`create table if not exists ${table}_clock (
          namespace text not null primary key, version bigint not null, cleared bigint not null default 0
        )`);
      await client.query(`insert into ${table}_clock (namespace, version) values ($1, 0) on conflict (namespace) do nothing`, [namespace]);
      await client.query(`
        create table if not exists ${table} (
          namespace text not null, key text not null, value bytea not null,
          expires_at bigint, stale_until bigint, created_at bigint not null,
          tags text[] not null default '{}', priority text,
          primary key (namespace, key)
        );
        create index if not exists ${table}_tags_gin on ${table} using gin (tags);
        create index if not exists ${table}_stale on ${table} (stale_until);
        create table if not exists ${table}_tag_versions (
          namespace text not null, tag text not null, version bigint not null,
          primary key (namespace, tag)
        );
        create table if not exists ${table}_handoff (
          id bigserial primary key, namespace text not null, operation jsonb not null
        );
        create index if not exists ${table}_handoff_ns on ${table}_handoff (namespace, id);
`);
      // Tables made by earlier releases lack the version columns. ALTER only then: it locks the table exclusively
      // even when there is nothing to add, and would deadlock with instances already using it.
      const columns = await client.query<{ column_name: string }>(
        `select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1 and column_name in ('version', 'keep_until')`,
        [table],
      );
      if (columns.rowCount !== 2) {
        await client.query(`alter table ${table} add column if not exists version bigint not null default 0, add column if not exists keep_until bigint`);
        await client.query(`update ${table} set keep_until = stale_until where keep_until is null`);
      }
      await client.query(`create index if not exists ${table}_keep on ${table} (keep_until)`);

      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    await warming;
  })();
  ready.catch(() => {});

  /** Opens `count` more connections at once and returns them to the pool (failures only reported). */
  async function warm(target: Pool, count: number): Promise<void> {
    if (count <= 0) return;
    const clients = await Promise.allSettled(Array.from({ length: count }, () => target.connect()));
    for (const result of clients) {
      if (result.status === 'fulfilled') result.value.release();
      else resolved.onError(result.reason instanceof Error ? result.reason : new Error(String(result.reason)));
    }
  }

  /** Runs `work` on one pooled client; a broken connection is dropped, a statement error keeps the session. */
  const withClient = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
    await ready;
    if (closed || !pool) throw new Error('[wai:cache-tiers] PostgreSQL tier is closed');
    const client = await pool.connect();
    // A checked-out client has no 'error' listener (pg-pool only listens while it is idle), and an 'error' event
    // nobody hears would crash the process: the one between two statements is kept, and drops the client.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      const result = await work(client);
      client.removeListener('error', onError);
      client.release(broken);
      return result;
    } catch (error) {
      client.removeListener('error', onError);
      // pool.query() would end the connection on any error. An error the server reported for the statement
      // (a SQLSTATE outside connection exceptions and shutdowns: missing table, statement or lock timeout) leaves
      // the session usable, and ending it would make the next call pay a new connection right when the server is
      // struggling; a broken connection is dropped (pg-pool also drops clients that are no longer queryable).
      client.release(broken ?? (isStatementError(error) ? undefined : (error as Error)));
      throw error;
    }
  };
  const query = <R extends object = Record<string, unknown>>(text: string, values: unknown[]) => withClient((client) => client.query<R>(text, values));

  /**
   * A transaction that first locks the namespace's clock row: FOR UPDATE (advancing it) for writes, FOR SHARE for
   * fills. Fills run side by side; a write waits for the fills in progress and they for it, and each statement
   * after the lock sees what the other committed (READ COMMITTED takes a snapshot per statement).
   */
  const transaction = <T>(lock: 'advance' | 'share', work: (client: PoolClient, version: number, cleared: number) => Promise<T>): Promise<T> =>
    withClient(async (client) => {
      await client.query('begin');
      try {
        const locked =
          lock === 'advance'
            ? await client.query<{ version: string; cleared: string }>(`update ${table}_clock set version = version + 1 where namespace = $1 returning version, cleared`, [namespace])
            : await client.query<{ version: string; cleared: string }>(`select version, cleared from ${table}_clock where namespace = $1 for share`, [namespace]);
        const row = locked.rows[0];
        if (!row) throw new Error(`[wai:cache-tiers] the clock row of namespace "${namespace}" is missing from ${table}_clock`);
        const result = await work(client, Number(row.version), Number(row.cleared));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      }
    });

  /** Writes the row with `version`; a row already past serving becomes a tombstone (only the version is kept). */
  const writeRow = (client: PoolClient, key: string, entry: CacheEntry, version: number) => {
    const now = clock.now();
    const tombstone = entry.staleUntil <= now;
    return client.query(
      `insert into ${table} (namespace, key, value, expires_at, stale_until, created_at, tags, priority, version, keep_until) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       on conflict (namespace, key) do update set value = excluded.value, expires_at = excluded.expires_at, stale_until = excluded.stale_until,
       created_at = excluded.created_at, tags = excluded.tags, priority = excluded.priority, version = excluded.version, keep_until = excluded.keep_until`,
      tombstone
        ? [namespace, key, EMPTY, 0, 0, Math.round(now), [], null, version, Math.round(now + fillWindow)]
        : [namespace, key, codec.encode(entry.value), toSqlTime(entry.expiresAt), toSqlTime(entry.staleUntil), Math.round(entry.createdAt), [...entry.tags], entry.priority ?? null, version, keepUntil(entry.staleUntil, now, fillWindow)],
    );
  };

  const tier: PostgresTier = {
    name: 'l3',
    versioned: true,
    fillWindow,
    async get(key) {
      // A row is served while fresh or in grace, unless one of its tags got a later version than the row.
      const result = await query<SqlRow>(
        `select value, created_at, expires_at, stale_until, tags, priority from ${table} c
         where namespace = $1 and key = $2 and (stale_until is null or stale_until > $3)
         and not exists (select 1 from ${table}_tag_versions s where s.namespace = c.namespace and s.tag = any(c.tags) and s.version > c.version)`,
        [namespace, key, clock.now()],
      );
      const row = result.rows[0];
      return row ? rowToEntry(row, codec) : undefined;
    },
    async set(key, entry) {
      await transaction('advance', (client, version) => writeRow(client, key, entry, version));
    },
    async fill(key, entry, since) {
      return transaction('share', async (client, _version, cleared) => {
        if (cleared > since) return false;
        const newer = await client.query(
          `select 1 from ${table} where namespace = $1 and key = $2 and version > $3
           union all select 1 from ${table}_tag_versions where namespace = $1 and tag = any($4::text[]) and version > $3 limit 1`,
          [namespace, key, since, [...entry.tags]],
        );
        if ((newer.rowCount ?? 0) > 0) return false;
        await writeRow(client, key, entry, since);
        return true;
      });
    },
    async version() {
      const result = await query<{ version: string }>(`select version from ${table}_clock where namespace = $1`, [namespace]);
      return Number(result.rows[0]?.version ?? 0);
    },
    async delete(key) {
      return transaction('advance', async (client, version) => {
        const visible = await client.query(`select 1 from ${table} where namespace = $1 and key = $2 and (stale_until is null or stale_until > $3)`, [namespace, key, clock.now()]);
        // A tombstone keeps the delete's version: fills begun before the delete are refused.
        await writeRow(client, key, TOMBSTONE, version);
        return (visible.rowCount ?? 0) > 0;
      });
    },
    async deleteByTag(tag) {
      // One statement; `@>` uses the GIN index on tags.
      return (await query(`delete from ${table} where namespace = $1 and tags @> array[$2]::text[]`, [namespace, tag])).rowCount ?? 0;
    },
    async invalidateTag(tag) {
      await transaction('advance', (client, version) =>
        client.query(
          `insert into ${table}_tag_versions (namespace, tag, version) values ($1, $2, $3)
           on conflict (namespace, tag) do update set version = greatest(${table}_tag_versions.version, excluded.version)`,
          [namespace, tag, version],
        ),
      );
    },
    async clear() {
      await transaction('advance', async (client, version) => {
        await client.query(`update ${table}_clock set cleared = $1 where namespace = $2`, [version, namespace]);
        await client.query(`delete from ${table} where namespace = $1`, [namespace]);
      });
    },
    handoff: true,
    async handOff(operations) {
      await withClient(async (client) => {
        await client.query('begin');
        try {
          await client.query(`insert into ${table}_handoff (namespace, operation) select $1, value from jsonb_array_elements($2::jsonb)`, [namespace, JSON.stringify(operations)]);
          const count = await client.query<{ count: string }>(`select count(*) as count from ${table}_handoff where namespace = $1`, [namespace]);
          if (Number(count.rows[0]?.count ?? 0) > MAX_HANDOFFS) {
            await client.query(`delete from ${table}_handoff where namespace = $1`, [namespace]);
            await client.query(`insert into ${table}_handoff (namespace, operation) values ($1, $2::jsonb)`, [namespace, JSON.stringify({ op: 'clear' } satisfies HandoffOperation)]);
          }
          await client.query('commit');
        } catch (error) {
          await client.query('rollback').catch(() => {});
          throw error;
        }
      });
    },
    async takeHandoffs(limit) {
      // SKIP LOCKED: instances polling at once take disjoint rows instead of waiting on each other.
      const result = await query<{ id: string; operation: HandoffOperation }>(
        `delete from ${table}_handoff where id in (select id from ${table}_handoff where namespace = $1 order by id limit $2 for update skip locked) returning id, operation`,
        [namespace, limit],
      );
      return result.rows.sort((a, b) => Number(a.id) - Number(b.id)).map((row) => row.operation);
    },
    async purgeExpired() {
      return (await query(`delete from ${table} where keep_until is not null and keep_until <= $1`, [clock.now()])).rowCount ?? 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      timer?.cancel();
      await ready.catch(() => {});
      if (pool && !options.pool) await pool.end().catch(() => {});
    },
  };
  const timer = startPurgeTimer(resolved, () => tier.purgeExpired());
  return tier;
}


/** SQLSTATEs of class 08 (connection exception) and 57P (operator intervention: shutdown, terminated) end the session. */
function isStatementError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57P');
}
