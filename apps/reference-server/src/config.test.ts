import { describe, expect, it } from 'vitest';
import { WaiError } from '@wai/metrics-core';
import { loadConfigFromEnv } from '@wai/metrics-core/config';
import { readServerConfig, SERVER_DEFAULTS } from './config.js';

describe('readServerConfig', () => {
  it('has embedded defaults: port 3001, SQLite data and L3 in ./.data, no Redis', () => {
    const config = readServerConfig({});
    expect(config.port).toBe(3001);
    expect(config.redisUrl).toBeUndefined();
    expect(config.databaseUrl).toBeUndefined();
    expect(config.sqlitePath).toMatch(/\.data\/workshops\.db$/);
    expect(config.l3).toEqual({ driver: 'sqlite', path: expect.stringMatching(/\.data\/cache\.db$/) as unknown as string });
    expect(config.demoRoutes).toBe(true);
    expect(config.wai.environment).toBe('development');
  });

  it('uses PostgreSQL for data and L3 with DATABASE_URL, and CACHE_L3_URL overrides the tier', () => {
    const pg = readServerConfig({ DATABASE_URL: 'postgres://u@h:5432/db' });
    expect(pg.databaseUrl).toBe('postgres://u@h:5432/db');
    expect(pg.l3).toEqual({ driver: 'postgres', connectionString: 'postgres://u@h:5432/db' });
    expect(readServerConfig({ CACHE_L3_URL: 'off' }).l3).toEqual({ driver: 'off' });
    expect(readServerConfig({ DATABASE_URL: 'sqlite:/tmp/x.db' }).sqlitePath).toBe('/tmp/x.db');
  });

  it('waits for another instance\'s load half a command timeout unless CACHE_LEASE_WAIT_MS says otherwise', () => {
    expect(readServerConfig({}).cacheLeaseWaitMs).toBe(15);
    expect(readServerConfig({ CACHE_COMMAND_TIMEOUT_MS: '250' }).cacheLeaseWaitMs).toBe(125);
    expect(readServerConfig({ CACHE_COMMAND_TIMEOUT_MS: '250', CACHE_LEASE_WAIT_MS: '40' }).cacheLeaseWaitMs).toBe(40);
    expect(() => readServerConfig({ CACHE_LEASE_WAIT_MS: 'soon' })).toThrow(/CACHE_LEASE_WAIT_MS/);
  });

  it('builds a Redis URL from REDIS_HOST / PORT / PASSWORD / DB', () => {
    expect(readServerConfig({ REDIS_HOST: 'cache', REDIS_PORT: '6380', REDIS_PASSWORD: 'p@ss', REDIS_DB: '2' }).redisUrl).toBe('redis://:p%40ss@cache:6380/2');
    expect(readServerConfig({ REDIS_URL: 'redis://a:1', REDIS_HOST: 'ignored' }).redisUrl).toBe('redis://a:1');
    expect(readServerConfig({ REDIS_PORT: '6380' }).redisUrl).toBeUndefined();
  });

  it("reads PORT, REDIS_*, DATABASE_URL and NODE_ENV through core's loader: the same values and the same rules", () => {
    const env = { PORT: '8080', REDIS_HOST: 'cache', REDIS_DB: '20', DATABASE_URL: 'postgresql://u@h/db', NODE_ENV: 'production' };
    const config = readServerConfig(env);
    const core = loadConfigFromEnv(env);
    expect(config.port).toBe(core.port);
    expect(config.databaseUrl).toBe(core.databaseUrl);
    expect(config.environment).toBe(core.environment);
    // Core accepts any database index >= 0 (a Redis server can be configured with more than 16).
    expect(config.redisUrl).toBe(`redis://cache:${core.redis.port}/20`);
    // Only the default port differs, and only through core's `defaults`.
    expect(readServerConfig({}).port).toBe(SERVER_DEFAULTS.port);
    expect(loadConfigFromEnv({}, SERVER_DEFAULTS).port).toBe(3001);
    expect(loadConfigFromEnv({}).port).toBe(3000);
    expect(readServerConfig({ PORT: '0' }).port).toBe(0);
    for (const bad of [{ PORT: '70000' }, { REDIS_HOST: 'cache', REDIS_DB: '-1' }, { REDIS_PORT: '0' }, { NODE_ENV: 'staging' }, { DATABASE_URL: 'postgres//nope' }]) {
      const [name] = Object.keys(bad).filter((key) => key !== 'REDIS_HOST');
      expect(() => readServerConfig(bad)).toThrow(new RegExp(`\\[wai:metrics-core\\] ${name} must be`));
      expect(() => loadConfigFromEnv(bad)).toThrow(new RegExp(`\\[wai:metrics-core\\] ${name} must be`));
    }
  });

  it('reads the hardening settings: timeouts, drain, dashboard exposure, L3 bounds, negative cache', () => {
    const defaults = readServerConfig({});
    expect(defaults).toMatchObject({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, connectionTimeoutMs: 60_000, keepAliveTimeoutMs: 72_000, shutdownDrainDelayMs: 1000 });
    expect(defaults).toMatchObject({ dashboardPublicReads: true, dashboardShowQueryValues: false, dashboardAllowedOrigins: [], negativeCacheMax: 1000 });
    expect(defaults).toMatchObject({ l3MaxBytes: 64 * 1024 ** 2, l3WalMaxBytes: 4 * 1024 ** 2, l3MaintenanceMs: 30_000 });
    const set = readServerConfig({ CACHE_L3_MAX_BYTES: '2mb', CACHE_L3_WAL_MAX_BYTES: '262144', DASHBOARD_ALLOWED_ORIGINS: 'https://a.example, http://b.example:8080' });
    expect(set).toMatchObject({ l3MaxBytes: 2 * 1024 ** 2, l3WalMaxBytes: 262_144, dashboardAllowedOrigins: ['https://a.example', 'http://b.example:8080'] });
  });

  it('refuses a headers timeout longer than the request timeout (Node would throw at start)', () => {
    expect(() => readServerConfig({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '6000' })).toThrow(/HEADERS_TIMEOUT_MS .* must not exceed REQUEST_TIMEOUT_MS/);
  });

  it('turns off demo routes in production', () => {
    expect(readServerConfig({ NODE_ENV: 'production' }).demoRoutes).toBe(false);
  });

  it.each([
    ['PORT', 'http'],
    ['RATE_LIMIT_MAX', '0'],
    ['SEED_DEMO_DATA', 'maybe'],
    ['CACHE_NAMESPACE', 'has space'],
    ['DATABASE_URL', 'mysql://x'],
    ['CACHE_L3_URL', 'redis://x'],
    ['PERFORMANCE_MONITORING_INTERVAL', 'soon'],
    ['CACHE_L1_MAX_SIZE', '-1'],
    ['REDIS_URL', 'http://x'],
    ['REQUEST_TIMEOUT_MS', '50'],
    ['SHUTDOWN_DRAIN_DELAY_MS', '-1'],
    ['DASHBOARD_PUBLIC_READS', 'sometimes'],
    ['DASHBOARD_ALLOWED_ORIGINS', 'evil.example'],
    ['CACHE_L3_MAX_BYTES', '10kb'],
    ['CACHE_L3_WAL_MAX_BYTES', 'lots'],
    ['NEGATIVE_CACHE_MAX', '1.5'],
  ])('rejects %s=%s with a config error naming the variable', (name, value) => {
    let error: unknown;
    try {
      readServerConfig({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(WaiError.isInstance(error)).toBe(true);
    expect((error as WaiError).code).toBe('E_CONFIG_INVALID');
    expect((error as Error).message).toContain(name);
  });
});
