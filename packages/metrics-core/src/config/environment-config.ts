import { ConfigError } from '../errors.js';
import type { AlertThresholds } from '../contracts/monitor.js';

export type Environment = 'production' | 'development' | 'test';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const ENVIRONMENTS: readonly Environment[] = ['production', 'development', 'test'];
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** The typed configuration of a @wai deployment (what `initializePerformanceSystem` and the server read). */
export interface WaiConfig {
  environment: Environment;
  monitoring: {
    enabled: boolean;
    /** Sampling interval in ms. */
    interval: number;
    logLevel: LogLevel;
    /**
     * Anomaly sensitivity in standard deviations, lent to analyzers (lower flags more): development 1.5,
     * production 2, test 3.
     */
    anomalyThreshold: number;
    /** Window in ms that analyzers fit trends over: 3600000 (test: 1200000). */
    trendAnalysisWindow: number;
    thresholds: AlertThresholds;
  };
  cache: {
    l1: { maxSize: number; maxMemory: number; hotKeyThreshold: number };
    /** `defaultTTL` in seconds; `compressionThreshold` in bytes. */
    l2: { defaultTTL: number; compressionThreshold: number };
    warmingEnabled: boolean;
    predictiveWarming: boolean;
    prediction: { enabled: boolean; modelUpdateInterval: number };
  };
  redis: { url?: string; host: string; port: number; password?: string; db: number };
  databaseUrl?: string;
  dashboardToken?: string;
  port: number;
}

/**
 * Overrides for `configureForEnvironment`: any part of `WaiConfig`, plus the guide's tuning names as written
 * (`L1.maxSize`, `L1.maxMemorySize`, `L1.hotKeyThreshold`, `L2.defaultTTL`, `L2.compressionThreshold`,
 * `prediction.enabled`, `prediction.modelUpdateInterval`, `interval`, `anomalyThreshold`, `trendAnalysisWindow`).
 */
export interface WaiConfigOverrides {
  monitoring?: Partial<WaiConfig['monitoring']>;
  cache?: {
    l1?: Partial<WaiConfig['cache']['l1']>;
    l2?: Partial<WaiConfig['cache']['l2']>;
    warmingEnabled?: boolean;
    predictiveWarming?: boolean;
    prediction?: Partial<WaiConfig['cache']['prediction']>;
  };
  redis?: Partial<WaiConfig['redis']>;
  databaseUrl?: string;
  dashboardToken?: string;
  port?: number;
  L1?: { maxSize?: number; maxMemorySize?: number; hotKeyThreshold?: number };
  L2?: { defaultTTL?: number; compressionThreshold?: number };
  prediction?: { enabled?: boolean; modelUpdateInterval?: number };
  interval?: number;
  anomalyThreshold?: number;
  trendAnalysisWindow?: number;
}

function preset(environment: Environment): WaiConfig {
  const production = environment === 'production';
  const test = environment === 'test';
  return {
    environment,
    monitoring: {
      enabled: true,
      interval: test ? 1000 : production ? 30_000 : 10_000,
      logLevel: test ? 'silent' : production ? 'info' : 'debug',
      // The guide's sensitivity: development flags more (1.5 σ) than production (2 σ); test runs are short and
      // their series synthetic, so the test preset flags least (3 σ) and fits trends over 20 min, which its 1 s
      // interval's 1440 samples of history can hold.
      anomalyThreshold: test ? 3 : production ? 2 : 1.5,
      trendAnalysisWindow: test ? 1_200_000 : 3_600_000,
      // Production waits a minute before paging; elsewhere alerts fire on the first evaluation.
      thresholds: { forMs: production ? 60_000 : 0 },
    },
    cache: {
      l1: { maxSize: test ? 100 : 1000, maxMemory: (test ? 16 : 100) * 1024 * 1024, hotKeyThreshold: 10 },
      l2: { defaultTTL: test ? 60 : 3600, compressionThreshold: 1024 },
      warmingEnabled: !test,
      predictiveWarming: production,
      prediction: { enabled: production, modelUpdateInterval: 300_000 },
    },
    redis: { host: '127.0.0.1', port: 6379, db: 0 },
    port: 3000,
  };
}

function fail(name: string, value: unknown, accepted: string): never {
  throw new ConfigError(`[wai:metrics-core] ${name} must be ${accepted}, got ${JSON.stringify(value)}`, { details: { name, accepted } });
}

function number(name: string, value: unknown, accepted: string, check: (n: number) => boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) fail(name, value, accepted);
  return value;
}

const positiveInteger = (n: number) => Number.isInteger(n) && n > 0;
const nonNegativeInteger = (n: number) => Number.isInteger(n) && n >= 0;

function boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(name, value, 'a boolean');
  return value;
}

function parseEnvironment(name: string, value: string | undefined): Environment {
  if (value === undefined || value === '') return 'development';
  if (!(ENVIRONMENTS as readonly string[]).includes(value)) fail(name, value, `one of ${ENVIRONMENTS.join(', ')}`);
  return value as Environment;
}

/** Checks every field, naming the option path in the error. */
function validate(config: WaiConfig): WaiConfig {
  const m = config.monitoring;
  boolean('monitoring.enabled', m.enabled);
  number('monitoring.interval', m.interval, 'an integer number of milliseconds >= 100', (n) => Number.isInteger(n) && n >= 100);
  if (!LOG_LEVELS.includes(m.logLevel)) fail('monitoring.logLevel', m.logLevel, `one of ${LOG_LEVELS.join(', ')}`);
  number('anomalyThreshold', m.anomalyThreshold, 'a positive number of standard deviations', (n) => n > 0);
  number('trendAnalysisWindow', m.trendAnalysisWindow, 'a positive integer number of milliseconds', positiveInteger);
  const c = config.cache;
  number('L1.maxSize', c.l1.maxSize, 'a positive integer (entries)', positiveInteger);
  number('L1.maxMemorySize', c.l1.maxMemory, 'a positive integer (bytes)', positiveInteger);
  number('L1.hotKeyThreshold', c.l1.hotKeyThreshold, 'a positive integer (hits)', positiveInteger);
  number('L2.defaultTTL', c.l2.defaultTTL, 'a positive integer (seconds)', positiveInteger);
  number('L2.compressionThreshold', c.l2.compressionThreshold, 'a non-negative integer (bytes)', nonNegativeInteger);
  boolean('cache.warmingEnabled', c.warmingEnabled);
  boolean('cache.predictiveWarming', c.predictiveWarming);
  boolean('prediction.enabled', c.prediction.enabled);
  number('prediction.modelUpdateInterval', c.prediction.modelUpdateInterval, 'a positive integer number of milliseconds', positiveInteger);
  const r = config.redis;
  if (typeof r.host !== 'string' || r.host === '') fail('redis.host', r.host, 'a host name');
  number('redis.port', r.port, 'an integer port 1-65535', (n) => Number.isInteger(n) && n >= 1 && n <= 65535);
  number('redis.db', r.db, 'a non-negative integer database index', nonNegativeInteger);
  number('port', config.port, 'an integer port 0-65535', (n) => Number.isInteger(n) && n >= 0 && n <= 65535);
  return config;
}

/**
 * The preset for an environment (`production`, `development`, `test`; unset → development) with overrides
 * applied. Production samples every 30 s and waits 60 s before an alert fires; development every 10 s; test
 * every second with small caches and silent logs. Anomaly sensitivity: development 1.5 σ (flags more),
 * production 2 σ, test 3 σ. Invalid values throw `ConfigError` naming the option.
 */
export function configureForEnvironment(environment: string | undefined, overrides: WaiConfigOverrides = {}): WaiConfig {
  return validate(applyOverrides(preset(parseEnvironment('environment', environment)), overrides));
}

/** Applies one layer of overrides in place (a later layer wins field by field; thresholds merge). */
function applyOverrides(config: WaiConfig, o: WaiConfigOverrides): WaiConfig {
  const thresholds = config.monitoring.thresholds;
  Object.assign(config.monitoring, o.monitoring);
  if (o.monitoring?.thresholds) config.monitoring.thresholds = { ...thresholds, ...o.monitoring.thresholds };
  Object.assign(config.cache.l1, o.cache?.l1);
  Object.assign(config.cache.l2, o.cache?.l2);
  Object.assign(config.cache.prediction, o.cache?.prediction);
  if (o.cache?.warmingEnabled !== undefined) config.cache.warmingEnabled = o.cache.warmingEnabled;
  if (o.cache?.predictiveWarming !== undefined) config.cache.predictiveWarming = o.cache.predictiveWarming;
  Object.assign(config.redis, o.redis);
  if (o.databaseUrl !== undefined) config.databaseUrl = o.databaseUrl;
  if (o.dashboardToken !== undefined) config.dashboardToken = o.dashboardToken;
  if (o.port !== undefined) config.port = o.port;
  // The guide's names.
  if (o.L1?.maxSize !== undefined) config.cache.l1.maxSize = o.L1.maxSize;
  if (o.L1?.maxMemorySize !== undefined) config.cache.l1.maxMemory = o.L1.maxMemorySize;
  if (o.L1?.hotKeyThreshold !== undefined) config.cache.l1.hotKeyThreshold = o.L1.hotKeyThreshold;
  if (o.L2?.defaultTTL !== undefined) config.cache.l2.defaultTTL = o.L2.defaultTTL;
  if (o.L2?.compressionThreshold !== undefined) config.cache.l2.compressionThreshold = o.L2.compressionThreshold;
  if (o.prediction?.enabled !== undefined) config.cache.prediction.enabled = o.prediction.enabled;
  if (o.prediction?.modelUpdateInterval !== undefined) config.cache.prediction.modelUpdateInterval = o.prediction.modelUpdateInterval;
  if (o.interval !== undefined) config.monitoring.interval = o.interval;
  if (o.anomalyThreshold !== undefined) config.monitoring.anomalyThreshold = o.anomalyThreshold;
  if (o.trendAnalysisWindow !== undefined) config.monitoring.trendAnalysisWindow = o.trendAnalysisWindow;
  return config;
}

// ── environment variables ───────────────────────────────────────────────────────────────────────────────

type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function envInteger(env: Env, name: string, accepted: string, check: (n: number) => boolean): number | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || !check(value)) fail(name, raw, accepted);
  return value;
}

function envBoolean(env: Env, name: string): boolean | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const lower = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lower)) return true;
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  return fail(name, raw, 'true or false (also 1/0, yes/no, on/off)');
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 };

function envBytes(env: Env, name: string): number | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw);
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  const value = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : Number.NaN;
  if (!(value > 0)) fail(name, raw, 'a positive number of bytes, optionally with a unit (e.g. 104857600 or 100mb)');
  return value;
}

function envUrl(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol === undefined || !protocols.includes(protocol)) fail(name, redact(raw), `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  return raw;
}

/** Never echo credentials in an error message. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/**
 * Reads the guide's environment variables into a `WaiConfig` (on top of the `NODE_ENV` preset):
 * `PERFORMANCE_MONITORING_ENABLED`, `PERFORMANCE_MONITORING_INTERVAL` (ms), `PERFORMANCE_LOG_LEVEL`,
 * `CACHE_L1_MAX_SIZE`, `CACHE_L1_MAX_MEMORY` (bytes or `100mb`), `CACHE_L2_DEFAULT_TTL` (s), `CACHE_WARMING_ENABLED`,
 * `CACHE_PREDICTIVE_WARMING`, `REDIS_URL` or `REDIS_HOST`/`REDIS_PORT`/`REDIS_PASSWORD`/`REDIS_DB`, `DATABASE_URL`,
 * `PERFORMANCE_DASHBOARD_TOKEN`, `PORT`, `NODE_ENV`. Empty values count as unset. A bad value throws
 * `ConfigError` (`E_CONFIG_INVALID`) naming the variable and the accepted form.
 *
 * `defaults` lets an application change a default without re-reading a variable: they apply over the preset
 * and under the variables (e.g. `loadConfigFromEnv(process.env, { port: 3001 })`: port 3001 unless `PORT` is set).
 */
export function loadConfigFromEnv(env: Env = process.env, defaults: WaiConfigOverrides = {}): WaiConfig {
  const environment = parseEnvironment('NODE_ENV', read(env, 'NODE_ENV'));
  const overrides: WaiConfigOverrides = { monitoring: {}, cache: { l1: {}, l2: {} }, redis: {} };
  const monitoring = overrides.monitoring!;
  const cache = overrides.cache!;
  const redis = overrides.redis!;
  const enabled = envBoolean(env, 'PERFORMANCE_MONITORING_ENABLED');
  if (enabled !== undefined) monitoring.enabled = enabled;
  const interval = envInteger(env, 'PERFORMANCE_MONITORING_INTERVAL', 'an integer number of milliseconds >= 100', (n) => n >= 100);
  if (interval !== undefined) monitoring.interval = interval;
  const logLevel = read(env, 'PERFORMANCE_LOG_LEVEL');
  if (logLevel !== undefined) {
    const lower = logLevel.toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(lower)) fail('PERFORMANCE_LOG_LEVEL', logLevel, `one of ${LOG_LEVELS.join(', ')}`);
    monitoring.logLevel = lower as LogLevel;
  }
  const maxSize = envInteger(env, 'CACHE_L1_MAX_SIZE', 'a positive integer (entries)', (n) => n > 0);
  if (maxSize !== undefined) cache.l1!.maxSize = maxSize;
  const maxMemory = envBytes(env, 'CACHE_L1_MAX_MEMORY');
  if (maxMemory !== undefined) cache.l1!.maxMemory = maxMemory;
  const ttl = envInteger(env, 'CACHE_L2_DEFAULT_TTL', 'a positive integer number of seconds', (n) => n > 0);
  if (ttl !== undefined) cache.l2!.defaultTTL = ttl;
  const warming = envBoolean(env, 'CACHE_WARMING_ENABLED');
  if (warming !== undefined) cache.warmingEnabled = warming;
  const predictive = envBoolean(env, 'CACHE_PREDICTIVE_WARMING');
  if (predictive !== undefined) {
    cache.predictiveWarming = predictive;
    cache.prediction = { enabled: predictive };
  }
  const redisUrl = envUrl(env, 'REDIS_URL', ['redis:', 'rediss:']);
  if (redisUrl !== undefined) redis.url = redisUrl;
  const host = read(env, 'REDIS_HOST');
  if (host !== undefined) redis.host = host;
  const port = envInteger(env, 'REDIS_PORT', 'an integer port 1-65535', (n) => n >= 1 && n <= 65535);
  if (port !== undefined) redis.port = port;
  const password = env.REDIS_PASSWORD;
  if (password !== undefined && password !== '') redis.password = password;
  const db = envInteger(env, 'REDIS_DB', 'a non-negative integer database index (e.g. 0)', (n) => n >= 0);
  if (db !== undefined) redis.db = db;
  const databaseUrl = envUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:', 'sqlite:', 'file:']);
  if (databaseUrl !== undefined) overrides.databaseUrl = databaseUrl;
  const token = read(env, 'PERFORMANCE_DASHBOARD_TOKEN');
  if (token !== undefined) overrides.dashboardToken = token;
  const httpPort = envInteger(env, 'PORT', 'an integer port 0-65535', (n) => n >= 0 && n <= 65535);
  if (httpPort !== undefined) overrides.port = httpPort;
  return validate(applyOverrides(applyOverrides(preset(environment), defaults), overrides));
}

/**
 * The Redis URL a `WaiConfig` describes: `REDIS_URL` as given, else one built from host, port, password and db
 * (`redis://:password@host:port/db`, the password percent-encoded).
 */
export function redisUrlOf(redis: WaiConfig['redis']): string {
  if (redis.url !== undefined) return redis.url;
  const auth = redis.password === undefined ? '' : `:${encodeURIComponent(redis.password)}@`;
  return `redis://${auth}${redis.host}:${redis.port}/${redis.db}`;
}
