/**
 * What the public types say of pg, written out so they do not import it: pg is an optional peer, and a TypeScript
 * user without it (or without @types/pg) must still compile with `skipLibCheck: false`. A pg `Pool` and pg's
 * `PoolConfig` fit these shapes; the tier's own code keeps pg's exact types.
 */
export interface PgPool {
  connect(): Promise<unknown>;
  end(): Promise<void>;
}

/** pg's `PoolConfig` without `connectionString` (see pg-pool's documentation for every setting). */
export interface PgPoolOptions {
  /** Most connections the pool opens. @default 10 (pg's) */
  max?: number;
  /** Connections the pool keeps open. */
  min?: number;
  idleTimeoutMillis?: number;
  connectionTimeoutMillis?: number;
  [setting: string]: unknown;
}
