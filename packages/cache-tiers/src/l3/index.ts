import type { PostgresTier, PostgresTierOptions } from './postgres-tier.js';
import type { SqliteTier, SqliteTierOptions } from './sqlite-tier.js';
import { createPostgresTier } from './postgres-tier.js';
import { createSqliteTier } from './sqlite-tier.js';

export { createPostgresTier, type PostgresTier, type PostgresTierOptions } from './postgres-tier.js';
export { createSqliteTier, type SqliteTier, type SqliteTierOptions } from './sqlite-tier.js';
export type { SqlTierCommonOptions } from './sql-common.js';
export type { PgPool, PgPoolOptions } from './pg-pool.js';
export {
  availableSqliteDrivers,
  openSqlite,
  SqliteDriverMissingError,
  toSqliteConnection,
  type OpenSqliteOptions,
  type SqliteConnection,
  type SqliteDatabaseHandle,
  type SqliteDriverName,
  type SqliteRow,
  type SqliteStatement,
} from './sqlite-driver.js';

/** `{ driver: 'sqlite', path }` (the default) or `{ driver: 'postgres', connectionString | pool }`. */
export type SqlTierOptions = ({ driver?: 'sqlite' } & SqliteTierOptions) | ({ driver: 'postgres' } & PostgresTierOptions);

export function createSqlTier(options: SqlTierOptions = {}): SqliteTier | PostgresTier {
  if (options.driver === 'postgres') return createPostgresTier(options);
  if (options.driver !== undefined && options.driver !== 'sqlite') {
    throw new TypeError(`[wai:cache-tiers] l3.driver must be 'sqlite' or 'postgres' (got ${JSON.stringify(options.driver)})`);
  }
  return createSqliteTier(options);
}
