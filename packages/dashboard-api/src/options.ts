import { createQueryRedactor, showAll } from './redact.js';
import type { FleetSource } from '@wai/metrics-core/fleet';
import { ConfigError, silentLogger, type CacheAdmin, type CacheStatsSource, type Logger, type PerformanceMonitor } from '@wai/metrics-core';

/** Options shared by the Fastify plugin, the Express router and `attachLiveUpdates`. */
export interface DashboardApiOptions {
  /** The monitor whose metrics, findings and history the routes serve. Required. */
  monitor: PerformanceMonitor;
  /**
   * The cache behind `cache/warm`, `cache/invalidate` and the `cache` figures. A read-only
   * `CacheStatsSource` serves figures only; the mutating cache routes then answer 404.
   */
  cache?: CacheAdmin | CacheStatsSource;
  /**
   * Bearer token for mutating routes, profile downloads and the WebSocket.
   * @default process.env.PERFORMANCE_DASHBOARD_TOKEN
   */
  token?: string;
  /** Route prefix. @default '/api/performance/enhanced' */
  prefix?: string;
  /** Serve read routes without a token even when one is set. `health` is always public. @default true */
  publicReads?: boolean;
  /** Path of the Prometheus text endpoint, or `false` for none. @default '/metrics' */
  metricsPath?: string | false;
  /** Path of the web page, or `false` for none. @default `${prefix}/` */
  pagePath?: string | false;
  /**
   * Live updates over WebSocket at `${prefix}/live`. They need the token like the mutating routes: in
   * production without a token they are not mounted. @default true
   */
  live?: boolean;
  /**
   * Show query-string values in the strings of read routes and live frames (cache keys such as
   * `http:GET:/search?q=…`, evidence). By default each value is replaced by `~` and 8 hex digits of a keyed hash,
   * so search terms and other user data never reach an unauthenticated reader. @default false
   */
  showQueryValues?: boolean;
  /**
   * Browser origins (`https://ops.example.com`) allowed to call the mutating routes and open the WebSocket,
   * besides the server's own. Others get 403 `E_FORBIDDEN`. @default []
   */
  allowedOrigins?: string[];
  /** Milliseconds between live snapshot frames. @default 1000 */
  liveInterval?: number;
  /** Most live clients at once; further upgrades are refused with 503. @default 100 */
  maxClients?: number;
  /** A client whose unsent bytes exceed this skips frames until it drains. @default 1048576 (1 MiB) */
  maxBufferedBytes?: number;
  /** Milliseconds between pings; a client that did not answer the previous ping is dropped. @default 30000 */
  heartbeatInterval?: number;
  /** Largest accepted request body in bytes (larger → 413). @default 16384 */
  bodyLimit?: number;
  /**
   * The fleet (`createFleetReader` from `@wai/metrics-core/fleet`): read routes then answer `?scope=fleet`, the
   * WebSocket sends `fleet` frames and the page shows every instance. Without it `scope=fleet` answers 404.
   * @default undefined — this instance only
   */
  fleet?: FleetSource;
  /**
   * Milliseconds one computed snapshot is shared by the routes and live frames of a mount (computing one
   * walks every route series). @default the smaller of `liveInterval` and 1000
   */
  snapshotMaxAge?: number;
  /** Most endpoints listed in a live frame (by request count). @default 50 */
  liveEndpoints?: number;
  /** `NODE_ENV`; in production a missing token leaves the mutating routes unmounted. @default process.env.NODE_ENV */
  environment?: string;
  logger?: Logger;
}

export interface ResolvedOptions {
  monitor: PerformanceMonitor;
  cache: CacheAdmin | CacheStatsSource | undefined;
  token: string | undefined;
  prefix: string;
  publicReads: boolean;
  metricsPath: string | false;
  pagePath: string | false;
  /** False in production without a token: the WebSocket is not mounted. */
  live: boolean;
  showQueryValues: boolean;
  /** Applies `showQueryValues` to a response body or live frame (one key per mount, so tags agree). */
  redact: <T>(value: T) => T;
  allowedOrigins: string[];
  liveInterval: number;
  maxClients: number;
  maxBufferedBytes: number;
  heartbeatInterval: number;
  bodyLimit: number;
  fleet: FleetSource | undefined;
  liveEndpoints: number;
  snapshotMaxAge: number;
  /** False in production without a token: mutating routes and profile downloads are not mounted. */
  mutationsEnabled: boolean;
  logger: Logger;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved <= 0) {
    throw new ConfigError(`[wai:dashboard-api] option \`${name}\` must be a positive number, got ${String(value)}`);
  }
  return resolved;
}

function normalisePath(name: string, value: string): string {
  if (!value.startsWith('/')) throw new ConfigError(`[wai:dashboard-api] option \`${name}\` must start with "/", got "${value}"`);
  return value;
}

function allowedOrigins(value: string[] | undefined): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((origin) => typeof origin !== 'string' || !/^https?:\/\/[^/\s]+\/?$/i.test(origin))) {
    throw new ConfigError('[wai:dashboard-api] option `allowedOrigins` must be an array of origins such as "https://ops.example.com"');
  }
  return [...value];
}

function fleetSource(value: FleetSource | undefined): FleetSource | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value.read !== 'function') {
    throw new ConfigError('[wai:dashboard-api] option `fleet` must be a fleet source (createFleetReader from @wai/metrics-core/fleet)');
  }
  return value;
}

/** Defaults resolved in one place; the caller's object is never mutated. */
export function resolveOptions(options: DashboardApiOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object' || typeof options.monitor?.getCurrentMetrics !== 'function') {
    throw new ConfigError('[wai:dashboard-api] option `monitor` is required (a PerformanceMonitor from createPerformanceMonitor)');
  }
  const logger = options.logger ?? silentLogger;
  const rawToken = options.token ?? process.env.PERFORMANCE_DASHBOARD_TOKEN;
  const token = rawToken === undefined || rawToken === '' ? undefined : rawToken;
  const prefix = normalisePath('prefix', options.prefix ?? '/api/performance/enhanced').replace(/\/+$/, '');
  const environment = options.environment ?? process.env.NODE_ENV;
  const mutationsEnabled = token !== undefined || environment !== 'production';
  if (!mutationsEnabled) {
    logger.warn(
      { prefix },
      '[wai:dashboard-api] NODE_ENV=production and no token: cache, monitoring and profile routes and live updates are not mounted; set PERFORMANCE_DASHBOARD_TOKEN to enable them',
    );
  } else if (token === undefined) {
    logger.warn({ prefix }, '[wai:dashboard-api] no token set: mutating dashboard routes are open (development only)');
  }
  const liveInterval = positive('liveInterval', options.liveInterval, 1000);
  const metricsPath = options.metricsPath === undefined ? '/metrics' : options.metricsPath;
  const pagePath = options.pagePath === undefined ? `${prefix}/` : options.pagePath;
  return {
    monitor: options.monitor,
    cache: options.cache,
    token,
    prefix,
    publicReads: options.publicReads ?? true,
    metricsPath: metricsPath === false ? false : normalisePath('metricsPath', metricsPath),
    pagePath: pagePath === false ? false : normalisePath('pagePath', pagePath),
    live: (options.live ?? true) && mutationsEnabled,
    showQueryValues: options.showQueryValues ?? false,
    redact: options.showQueryValues === true ? showAll : createQueryRedactor(),
    allowedOrigins: allowedOrigins(options.allowedOrigins),
    liveInterval,
    maxClients: positive('maxClients', options.maxClients, 100),
    maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes, 1024 * 1024),
    heartbeatInterval: positive('heartbeatInterval', options.heartbeatInterval, 30_000),
    bodyLimit: positive('bodyLimit', options.bodyLimit, 16 * 1024),
    fleet: fleetSource(options.fleet),
    liveEndpoints: positive('liveEndpoints', options.liveEndpoints, 50),
    snapshotMaxAge: options.snapshotMaxAge === 0 ? 0 : positive('snapshotMaxAge', options.snapshotMaxAge, Math.min(liveInterval, 1000)),
    mutationsEnabled,
    logger,
  };
}

/** True when `cache` can warm and invalidate (not just report figures). */
export function isCacheAdmin(cache: CacheAdmin | CacheStatsSource | undefined): cache is CacheAdmin {
  return cache !== undefined && typeof (cache as Partial<CacheAdmin>).warm === 'function' && typeof (cache as Partial<CacheAdmin>).invalidateByTag === 'function';
}
