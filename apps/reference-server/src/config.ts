import { join, resolve } from 'node:path';
import { ConfigError, loadConfigFromEnv, type WaiConfig } from '@wai/metrics-core';

/**
 * The app's own settings, read from environment variables. The monitoring, cache and Redis variables of the
 * guide (`PERFORMANCE_*`, `CACHE_*`, `REDIS_*`) are read by `loadConfigFromEnv` from @wai/metrics-core; this
 * file adds what only the server needs. A bad value throws a `ConfigError` naming the variable.
 */
export interface ServerConfig {
  /** The guide's settings (`PERFORMANCE_*`, `CACHE_*`, `REDIS_*`, `NODE_ENV` presets) from `loadConfigFromEnv`. */
  wai: WaiConfig;
  /** `PORT` — 0 picks a free port. @default 3001 */
  port: number;
  /** `HOST`. @default '0.0.0.0' */
  host: string;
  /** `DATA_DIR` — SQLite data, the L3 cache file and metric history. @default './.data' */
  dataDir: string;
  /** `DATABASE_URL` — PostgreSQL for data, L3 and history instead of SQLite (`sqlite:<path>` picks a SQLite file). */
  databaseUrl: string | undefined;
  /** SQLite data file, from `DATABASE_URL=sqlite:<path>` or `<DATA_DIR>/workshops.db`. */
  sqlitePath: string;
  /**
   * `CACHE_L3_URL` — where the L3 cache tier lives: `off`, `sqlite:<path>` or a `postgres://` URL.
   * @default PostgreSQL when DATABASE_URL is PostgreSQL, else `<DATA_DIR>/cache.db`
   */
  l3: { driver: 'off' } | { driver: 'sqlite'; path: string } | { driver: 'postgres'; connectionString: string };
  /** `REDIS_URL`, or built from `REDIS_HOST`/`REDIS_PORT`/`REDIS_PASSWORD`/`REDIS_DB`; enables L2, the bus and shared rate limits. */
  redisUrl: string | undefined;
  /** `CACHE_NAMESPACE` — prefix of every cache and rate-limit key (instances sharing data share it). @default 'workshops' */
  namespace: string;
  /** `PERFORMANCE_DASHBOARD_TOKEN` — bearer token for the dashboard's mutating routes. */
  dashboardToken: string | undefined;
  /** `NODE_ENV`. @default 'development' */
  environment: string;
  /** `LOG_LEVEL` (pino), else `PERFORMANCE_LOG_LEVEL`. @default 'info' ('silent' with NODE_ENV=test) */
  logLevel: string;
  /** `SEED_DEMO_DATA` — seed demo workshops when the table is empty. @default true */
  seedDemoData: boolean;
  /** `DEMO_ROUTES` — mount `/api/demo/*` (slow, cpu, flaky). @default true unless NODE_ENV=production */
  demoRoutes: boolean;
  /** `RATE_LIMIT_MAX` / `RATE_LIMIT_WINDOW_MS` — per-client limit on the API's read routes; the adaptive limiter cuts it to as little as a tenth while the server is stressed. @default 60000 per 60000 ms */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** `RATE_LIMIT_WRITE_MAX` — per-client limit on POST/PUT/DELETE in the same window. @default 300 */
  rateLimitWriteMax: number;
  /** `RESPONSE_CACHE_TTL` — seconds read responses stay cached. @default 60 */
  responseCacheTTL: number;
  /** `SHUTDOWN_TIMEOUT_MS` — longest graceful drain on SIGTERM before exiting anyway. @default 10000 */
  shutdownTimeoutMs: number;
  /**
   * `CACHE_COMMAND_TIMEOUT_MS` — longest an L2/L3 call may take before the cache treats it as failed and falls
   * through (a slow tier must not hold requests). @default 30
   */
  cacheCommandTimeoutMs: number;
  /** `BODY_LIMIT` — largest accepted request body in bytes (larger → 413). @default 65536 */
  bodyLimit: number;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`[wai:reference-server] ${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`[wai:reference-server] ${name} must be true or false, got "${env[name]}"`);
}

/** `REDIS_URL` wins; otherwise `REDIS_HOST` (+ port, password, db) builds one; otherwise no Redis. */
export function redisUrlFromEnv(env: Env): string | undefined {
  if (env.REDIS_URL) {
    if (!/^rediss?:\/\//.test(env.REDIS_URL)) throw new ConfigError(`[wai:reference-server] REDIS_URL must start with redis:// or rediss://, got "${env.REDIS_URL}"`);
    return env.REDIS_URL;
  }
  if (!env.REDIS_HOST) return undefined;
  const port = integer(env, 'REDIS_PORT', 6379, 1, 65_535);
  const db = integer(env, 'REDIS_DB', 0, 0, 15);
  const auth = env.REDIS_PASSWORD ? `:${encodeURIComponent(env.REDIS_PASSWORD)}@` : '';
  return `redis://${auth}${env.REDIS_HOST}:${port}/${db}`;
}

function l3FromEnv(raw: string | undefined, postgresUrl: string | undefined, dataDir: string): ServerConfig['l3'] {
  const value = raw?.trim();
  if (value === undefined || value === '') {
    return postgresUrl ? { driver: 'postgres', connectionString: postgresUrl } : { driver: 'sqlite', path: join(dataDir, 'cache.db') };
  }
  if (['off', 'false', 'none', '0'].includes(value.toLowerCase())) return { driver: 'off' };
  if (/^postgres(ql)?:\/\//.test(value)) return { driver: 'postgres', connectionString: value };
  if (/^(sqlite|file):/.test(value)) return { driver: 'sqlite', path: resolve(value.replace(/^(sqlite|file):(\/\/)?/, '')) };
  throw new ConfigError(`[wai:reference-server] CACHE_L3_URL must be off, sqlite:<path> or a postgres:// URL, got "${value.replace(/\/\/[^@/]*@/, '//***@')}"`);
}

export function readServerConfig(env: Env = process.env): ServerConfig {
  const environment = env.NODE_ENV || 'development';
  const namespace = env.CACHE_NAMESPACE || 'workshops';
  if (!/^[\w:.-]{1,64}$/.test(namespace)) throw new ConfigError(`[wai:reference-server] CACHE_NAMESPACE must be 1–64 letters, digits, "_", ":", "." or "-", got "${namespace}"`);
  const dataDir = resolve(env.DATA_DIR || './.data');
  const databaseUrl = env.DATABASE_URL || undefined;
  const postgres = databaseUrl !== undefined && /^postgres(ql)?:\/\//.test(databaseUrl);
  const sqliteUrl = databaseUrl !== undefined && /^(sqlite|file):/.test(databaseUrl);
  if (databaseUrl !== undefined && !postgres && !sqliteUrl) {
    throw new ConfigError('[wai:reference-server] DATABASE_URL must be a postgres:// URL or sqlite:<path>');
  }
  // Validates the guide's variables first, so a bad PERFORMANCE_* / CACHE_* / REDIS_* value fails fast by name.
  const wai = loadConfigFromEnv(env);
  return {
    wai,
    port: integer(env, 'PORT', 3001, 0, 65_535),
    host: env.HOST || '0.0.0.0',
    dataDir,
    databaseUrl: postgres ? databaseUrl : undefined,
    sqlitePath: sqliteUrl ? resolve(databaseUrl!.replace(/^(sqlite|file):(\/\/)?/, '')) : join(dataDir, 'workshops.db'),
    l3: l3FromEnv(env.CACHE_L3_URL, postgres ? databaseUrl : undefined, dataDir),
    redisUrl: redisUrlFromEnv(env),
    namespace,
    dashboardToken: wai.dashboardToken,
    environment,
    logLevel: env.LOG_LEVEL || (env.PERFORMANCE_LOG_LEVEL || wai.environment === 'test' ? wai.monitoring.logLevel : 'info'),
    seedDemoData: boolean(env, 'SEED_DEMO_DATA', true),
    demoRoutes: boolean(env, 'DEMO_ROUTES', environment !== 'production'),
    rateLimitMax: integer(env, 'RATE_LIMIT_MAX', 60_000, 1, 1_000_000_000),
    rateLimitWriteMax: integer(env, 'RATE_LIMIT_WRITE_MAX', 300, 1, 1_000_000_000),
    rateLimitWindowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 100, 86_400_000),
    responseCacheTTL: integer(env, 'RESPONSE_CACHE_TTL', 60, 1, 86_400),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    cacheCommandTimeoutMs: integer(env, 'CACHE_COMMAND_TIMEOUT_MS', 30, 5, 60_000),
    bodyLimit: integer(env, 'BODY_LIMIT', 65_536, 1024, 10 * 1024 * 1024),
  };
}
