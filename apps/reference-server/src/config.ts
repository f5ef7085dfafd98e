import { join, resolve } from 'node:path';
import { ConfigError } from '@wai/metrics-core';
import { loadConfigFromEnv, redisUrlOf, type WaiConfig } from '@wai/metrics-core/config';
import { readAlertConfig, type AlertConfig } from './alert-config.js';
import { boolean, bytes, integer, origins, type Env } from './config-values.js';

/**
 * The app's own settings, read from environment variables. The guide's variables (`PERFORMANCE_*`, `CACHE_*`,
 * `REDIS_*`, `DATABASE_URL`, `PORT`, `NODE_ENV`) are read once, with one set of rules, by `loadConfigFromEnv`
 * from `@wai/metrics-core/config` (the app changes only the default port, through its `defaults`); this file adds
 * what only the server needs. A bad value throws a `ConfigError` naming the variable.
 */
export interface ServerConfig {
  /** The guide's settings (`PERFORMANCE_*`, `CACHE_*`, `REDIS_*`, `NODE_ENV` presets) from `loadConfigFromEnv`. */
  wai: WaiConfig;
  /** `PORT` (read by `loadConfigFromEnv`, 0–65535) — 0 picks a free port. @default 3001 (`SERVER_DEFAULTS.port`) */
  port: number;
  /** `HOST`. @default '0.0.0.0' */
  host: string;
  /** `DATA_DIR` — SQLite data, the L3 cache file and metric history. @default './.data' */
  dataDir: string;
  /** `DATABASE_URL` (read by `loadConfigFromEnv`) — PostgreSQL for data, L3 and history instead of SQLite (`sqlite:<path>` picks a SQLite file). */
  databaseUrl: string | undefined;
  /** SQLite data file, from `DATABASE_URL=sqlite:<path>` or `<DATA_DIR>/workshops.db`. */
  sqlitePath: string;
  /**
   * `CACHE_L3_URL` — where the L3 cache tier lives: `off`, `sqlite:<path>` or a `postgres://` URL.
   * @default PostgreSQL when DATABASE_URL is PostgreSQL, else `<DATA_DIR>/cache.db`
   */
  l3: { driver: 'off' } | { driver: 'sqlite'; path: string } | { driver: 'postgres'; connectionString: string };
  /**
   * `REDIS_URL`, or built from `REDIS_HOST`/`REDIS_PORT`/`REDIS_PASSWORD`/`REDIS_DB` (read and checked by
   * `loadConfigFromEnv`) when `REDIS_HOST` is set; enables L2, the bus and shared rate limits. @default no Redis
   */
  redisUrl: string | undefined;
  /** `CACHE_NAMESPACE` — prefix of every cache and rate-limit key (instances sharing data share it). @default 'workshops' */
  namespace: string;
  /** `PERFORMANCE_DASHBOARD_TOKEN` — bearer token for the dashboard's mutating routes. */
  dashboardToken: string | undefined;
  /** `NODE_ENV` (production, development or test; read by `loadConfigFromEnv`). @default 'development' */
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
  /**
   * `CACHE_WRITE_TIMEOUT_MS` — longest a write's step (bus message, each cache tier) waits for Redis or L3 before
   * the invalidation is queued for replay and handed to the shared SQL tier. @default 250
   */
  cacheWriteTimeoutMs: number;
  /**
   * `CACHE_LEASE_WAIT_MS` — longest a read waits for another instance's load of the same key before loading
   * itself. Half the command timeout by default, so a read that waits for a lease and then meets a stalled link
   * stays within 1.5 command timeouts of waiting in all. @default 15 (half of `CACHE_COMMAND_TIMEOUT_MS`)
   */
  cacheLeaseWaitMs: number;
  /** `BODY_LIMIT` — largest accepted request body in bytes (larger → 413). @default 65536 */
  bodyLimit: number;
  /** `REQUEST_TIMEOUT_MS` — longest a client may take to send a whole request, headers and body (then 408). @default 30000 */
  requestTimeoutMs: number;
  /** `HEADERS_TIMEOUT_MS` — longest a client may take to send the request headers (then 408). @default 10000 */
  headersTimeoutMs: number;
  /** `CONNECTION_TIMEOUT_MS` — a socket with no traffic for this long is closed (Fastify's `connectionTimeout`). @default 60000 */
  connectionTimeoutMs: number;
  /**
   * `KEEP_ALIVE_TIMEOUT_MS` — an idle keep-alive connection is closed after this long (longer than a load
   * balancer's own idle timeout, commonly 60 s, so the balancer closes first). @default 72000
   */
  keepAliveTimeoutMs: number;
  /**
   * `SHUTDOWN_DRAIN_DELAY_MS` — after SIGTERM the listener stays open this long and every request (health
   * included) gets 503, so load balancers take the instance out before connections are refused. @default 1000
   */
  shutdownDrainDelayMs: number;
  /** `DASHBOARD_PUBLIC_READS` — serve the dashboard's read routes without the token. @default true */
  dashboardPublicReads: boolean;
  /** `DASHBOARD_SHOW_QUERY_VALUES` — show query values in cache keys on the dashboard (else keyed hashes). @default false */
  dashboardShowQueryValues: boolean;
  /** `DASHBOARD_ALLOWED_ORIGINS` — other browser origins allowed to call mutating dashboard routes. @default none */
  dashboardAllowedOrigins: string[];
  /** `CACHE_L3_MAX_BYTES` — most bytes of the SQLite L3 file (`max_page_count`). @default 64 MiB */
  l3MaxBytes: number;
  /** `CACHE_L3_WAL_MAX_BYTES` — the WAL is checkpointed and truncated back to this size. @default 4 MiB */
  l3WalMaxBytes: number;
  /** `CACHE_L3_MAINTENANCE_MS` — interval of the L3 file's checkpoint, purge and incremental vacuum. @default 30000 */
  l3MaintenanceMs: number;
  /** `NEGATIVE_CACHE_MAX` — most missing workshop ids kept as cached "not found" per instance. @default 1000 */
  negativeCacheMax: number;
  /** `ALERTMANAGER_URL`, `ALERT_WEBHOOK_URL`, `ALERT_WEBHOOK_SECRET`, … — where alerts are delivered (see alert-config.ts). */
  alerts: AlertConfig;
}

/** The app's defaults over core's presets: the server listens on 3001 unless `PORT` says otherwise. */
export const SERVER_DEFAULTS = Object.freeze({ port: 3001 });

/** `REDIS_URL` wins; otherwise `REDIS_HOST` (+ port, password, db, as core read them) builds one; otherwise no Redis. */
function redisUrlFrom(env: Env, wai: WaiConfig): string | undefined {
  const configured = (name: string) => (env[name]?.trim() ?? '') !== '';
  return configured('REDIS_URL') || configured('REDIS_HOST') ? redisUrlOf(wai.redis) : undefined;
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
  // The guide's variables first, so a bad PERFORMANCE_* / CACHE_* / REDIS_* / DATABASE_URL / PORT fails fast by name.
  const wai = loadConfigFromEnv(env, SERVER_DEFAULTS);
  const environment = wai.environment;
  const namespace = env.CACHE_NAMESPACE || 'workshops';
  if (!/^[\w:.-]{1,64}$/.test(namespace)) throw new ConfigError(`[wai:reference-server] CACHE_NAMESPACE must be 1–64 letters, digits, "_", ":", "." or "-", got "${namespace}"`);
  const dataDir = resolve(env.DATA_DIR || './.data');
  // Core accepts postgres:, postgresql:, sqlite: and file: URLs; the scheme picks the store.
  const databaseUrl = wai.databaseUrl;
  const postgres = databaseUrl !== undefined && /^postgres(ql)?:/.test(databaseUrl);
  const sqliteUrl = databaseUrl !== undefined && !postgres;
  const cacheCommandTimeoutMs = integer(env, 'CACHE_COMMAND_TIMEOUT_MS', 30, 5, 60_000);
  const config: ServerConfig = {
    wai,
    port: wai.port,
    host: env.HOST || '0.0.0.0',
    dataDir,
    databaseUrl: postgres ? databaseUrl : undefined,
    sqlitePath: sqliteUrl ? resolve(databaseUrl!.replace(/^(sqlite|file):(\/\/)?/, '')) : join(dataDir, 'workshops.db'),
    l3: l3FromEnv(env.CACHE_L3_URL, postgres ? databaseUrl : undefined, dataDir),
    redisUrl: redisUrlFrom(env, wai),
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
    cacheCommandTimeoutMs,
    cacheWriteTimeoutMs: integer(env, 'CACHE_WRITE_TIMEOUT_MS', 250, 5, 60_000),
    cacheLeaseWaitMs: integer(env, 'CACHE_LEASE_WAIT_MS', Math.max(1, Math.floor(cacheCommandTimeoutMs / 2)), 1, 60_000),
    bodyLimit: integer(env, 'BODY_LIMIT', 65_536, 1024, 10 * 1024 * 1024),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, 3_600_000),
    connectionTimeoutMs: integer(env, 'CONNECTION_TIMEOUT_MS', 60_000, 100, 3_600_000),
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 3_600_000),
    shutdownDrainDelayMs: integer(env, 'SHUTDOWN_DRAIN_DELAY_MS', 1000, 0, 600_000),
    dashboardPublicReads: boolean(env, 'DASHBOARD_PUBLIC_READS', true),
    dashboardShowQueryValues: boolean(env, 'DASHBOARD_SHOW_QUERY_VALUES', false),
    dashboardAllowedOrigins: origins(env, 'DASHBOARD_ALLOWED_ORIGINS'),
    l3MaxBytes: bytes(env, 'CACHE_L3_MAX_BYTES', 64 * 1024 ** 2, 1024 ** 2, 1024 ** 4),
    l3WalMaxBytes: bytes(env, 'CACHE_L3_WAL_MAX_BYTES', 4 * 1024 ** 2, 64 * 1024, 1024 ** 3),
    l3MaintenanceMs: integer(env, 'CACHE_L3_MAINTENANCE_MS', 30_000, 100, 86_400_000),
    negativeCacheMax: integer(env, 'NEGATIVE_CACHE_MAX', 1000, 0, 10_000_000),
    alerts: readAlertConfig(env, wai.port),
  };
  // Node refuses a headers timeout longer than the request timeout (the headers are part of the request).
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new ConfigError(`[wai:reference-server] HEADERS_TIMEOUT_MS (${config.headersTimeoutMs}) must not exceed REQUEST_TIMEOUT_MS (${config.requestTimeoutMs})`);
  }
  return config;
}
