import { describe, expect, it } from 'vitest';
import { ConfigError, WaiError } from '../errors.js';
import { configureForEnvironment, loadConfigFromEnv, redisUrlOf } from './environment-config.js';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as WaiError).code).toBe('E_CONFIG_INVALID');
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('configureForEnvironment', () => {
  it('has production, development and test presets', () => {
    const production = configureForEnvironment('production');
    expect(production.monitoring).toMatchObject({ interval: 30_000, logLevel: 'info', thresholds: { forMs: 60_000 } });
    expect(configureForEnvironment('test').monitoring.logLevel).toBe('silent');
    expect(configureForEnvironment(undefined).environment).toBe('development');
  });

  it('makes development more sensitive to anomalies than production (the guide: 1.5 σ and 2 σ)', () => {
    expect(configureForEnvironment('development').monitoring).toMatchObject({ anomalyThreshold: 1.5, trendAnalysisWindow: 3_600_000 });
    expect(configureForEnvironment('production').monitoring).toMatchObject({ anomalyThreshold: 2, trendAnalysisWindow: 3_600_000 });
    const test = configureForEnvironment('test').monitoring;
    expect(test).toMatchObject({ anomalyThreshold: 3, trendAnalysisWindow: 1_200_000 });
    // The test preset's window fits in the 1440 samples of history its interval keeps.
    expect(test.trendAnalysisWindow).toBeLessThanOrEqual(1440 * test.interval);
    expect(loadConfigFromEnv({ NODE_ENV: 'production' }).monitoring.anomalyThreshold).toBe(2);
  });

  it('refuses a bad anomalyThreshold or trendAnalysisWindow, naming it', () => {
    for (const anomalyThreshold of [0, -1.5, Number.NaN]) {
      expect(configError(() => configureForEnvironment('production', { anomalyThreshold })).message).toMatch(/anomalyThreshold must be a positive number of standard deviations/);
      expect(configError(() => configureForEnvironment('production', { monitoring: { anomalyThreshold } })).message).toMatch(/anomalyThreshold/);
    }
    for (const trendAnalysisWindow of [0, 90.5, -1]) {
      expect(configError(() => configureForEnvironment('development', { trendAnalysisWindow })).message).toMatch(/trendAnalysisWindow must be a positive integer number of milliseconds/);
    }
  });

  it("accepts the guide's tuning names", () => {
    const config = configureForEnvironment('production', {
      L1: { maxSize: 4000, maxMemorySize: 50 * 1024 * 1024, hotKeyThreshold: 20 },
      L2: { defaultTTL: 600, compressionThreshold: 2048 },
      prediction: { enabled: false, modelUpdateInterval: 60_000 },
      interval: 15_000, anomalyThreshold: 2.5, trendAnalysisWindow: 600_000,
    });
    expect(config.cache.l1).toEqual({ maxSize: 4000, maxMemory: 50 * 1024 * 1024, hotKeyThreshold: 20 });
    expect(config.cache.l2).toEqual({ defaultTTL: 600, compressionThreshold: 2048 });
    expect(config.cache.prediction).toEqual({ enabled: false, modelUpdateInterval: 60_000 });
    expect(config.monitoring).toMatchObject({ interval: 15_000, anomalyThreshold: 2.5, trendAnalysisWindow: 600_000 });
  });

  it('rejects bad overrides and unknown environments, naming them', () => {
    expect(configError(() => configureForEnvironment('production', { L1: { maxSize: -1 } })).message).toMatch(/L1\.maxSize must be a positive integer/);
    expect(configError(() => configureForEnvironment('staging')).message).toMatch(/environment must be one of production, development, test/);
  });
});

describe('loadConfigFromEnv', () => {
  it("reads the guide's variables", () => {
    const config = loadConfigFromEnv({
      NODE_ENV: 'production', PERFORMANCE_MONITORING_ENABLED: 'false', PERFORMANCE_MONITORING_INTERVAL: '15000',
      PERFORMANCE_LOG_LEVEL: 'WARN', CACHE_L1_MAX_SIZE: '2000', CACHE_L1_MAX_MEMORY: '64mb', CACHE_L2_DEFAULT_TTL: '600',
      CACHE_WARMING_ENABLED: '0', CACHE_PREDICTIVE_WARMING: 'yes', REDIS_HOST: 'cache.internal', REDIS_PORT: '6380',
      REDIS_PASSWORD: 's3cret', REDIS_DB: '2', DATABASE_URL: 'postgres://u:p@db/app', PERFORMANCE_DASHBOARD_TOKEN: 'tok', PORT: '8080',
    });
    expect(config.environment).toBe('production');
    expect(config.monitoring).toMatchObject({ enabled: false, interval: 15_000, logLevel: 'warn' });
    expect(config.cache).toMatchObject({ l1: { maxSize: 2000, maxMemory: 64 * 1024 * 1024 }, l2: { defaultTTL: 600 }, warmingEnabled: false, predictiveWarming: true });
    expect(config.redis).toEqual({ host: 'cache.internal', port: 6380, password: 's3cret', db: 2 });
    expect(config).toMatchObject({ databaseUrl: 'postgres://u:p@db/app', dashboardToken: 'tok', port: 8080 });
  });

  it('takes REDIS_URL and treats empty values as unset', () => {
    const config = loadConfigFromEnv({ REDIS_URL: 'redis://127.0.0.1:6379/1', PORT: '', CACHE_L1_MAX_SIZE: '  ' });
    expect(config.redis.url).toBe('redis://127.0.0.1:6379/1');
    expect(config.port).toBe(3000);
    expect(config.cache.l1.maxSize).toBe(1000);
  });

  it.each([
    ['PERFORMANCE_MONITORING_ENABLED', 'maybe', /PERFORMANCE_MONITORING_ENABLED must be true or false/],
    ['PERFORMANCE_MONITORING_INTERVAL', '5s', /PERFORMANCE_MONITORING_INTERVAL must be an integer number of milliseconds/],
    ['PERFORMANCE_LOG_LEVEL', 'loud', /PERFORMANCE_LOG_LEVEL must be one of trace, debug/],
    ['CACHE_L1_MAX_SIZE', '0', /CACHE_L1_MAX_SIZE must be a positive integer/],
    ['CACHE_L1_MAX_MEMORY', 'lots', /CACHE_L1_MAX_MEMORY must be a positive number of bytes/],
    ['CACHE_L2_DEFAULT_TTL', '1.5', /CACHE_L2_DEFAULT_TTL must be a positive integer number of seconds/],
    ['CACHE_PREDICTIVE_WARMING', 'sometimes', /CACHE_PREDICTIVE_WARMING must be true or false/],
    ['REDIS_PORT', '70000', /REDIS_PORT must be an integer port 1-65535/],
    ['REDIS_DB', '-1', /REDIS_DB must be a non-negative integer/],
    ['REDIS_URL', 'http://x', /REDIS_URL must be a URL starting with redis:\/\/ or rediss:\/\//],
    ['DATABASE_URL', 'not a url', /DATABASE_URL must be a URL/],
    ['PORT', 'eighty', /PORT must be an integer port/],
    ['NODE_ENV', 'prod', /NODE_ENV must be one of production, development, test/],
  ])('%s=%s throws a ConfigError naming it', (name, value, message) => {
    expect(configError(() => loadConfigFromEnv({ [name]: value })).message).toMatch(message);
  });

  it('never echoes credentials of a bad URL', () => {
    const message = configError(() => loadConfigFromEnv({ REDIS_URL: 'http://user:hunter2@host' })).message;
    expect(message).not.toContain('hunter2');
  });

  it("takes an application's defaults over the preset and under the variables", () => {
    expect(loadConfigFromEnv({}).port).toBe(3000);
    expect(loadConfigFromEnv({}, { port: 3001 }).port).toBe(3001);
    expect(loadConfigFromEnv({ PORT: '8080' }, { port: 3001 }).port).toBe(8080);
    const tuned = loadConfigFromEnv({ CACHE_L1_MAX_SIZE: '50' }, { L1: { maxSize: 10, hotKeyThreshold: 4 }, monitoring: { thresholds: { errorRate: 0.1 } } });
    expect(tuned.cache.l1).toMatchObject({ maxSize: 50, hotKeyThreshold: 4 });
    expect(tuned.monitoring.thresholds).toEqual({ forMs: 0, errorRate: 0.1 });
    // Defaults are checked by the same rules as everything else.
    expect(configError(() => loadConfigFromEnv({}, { port: 70_000 })).message).toContain('port');
  });

  it('gives the Redis URL a configuration describes (REDIS_URL as given, else built from its parts)', () => {
    expect(redisUrlOf(loadConfigFromEnv({}).redis)).toBe('redis://127.0.0.1:6379/0');
    expect(redisUrlOf(loadConfigFromEnv({ REDIS_HOST: 'cache', REDIS_PORT: '6380', REDIS_PASSWORD: 'p@ss', REDIS_DB: '20' }).redis)).toBe('redis://:p%40ss@cache:6380/20');
    expect(redisUrlOf(loadConfigFromEnv({ REDIS_URL: 'rediss://r.example:6390/1', REDIS_HOST: 'ignored' }).redis)).toBe('rediss://r.example:6390/1');
  });
});
