import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFromEnv } from '@wai/metrics-core/config';
import { checkReadmeDefaults, describedOnly, pathDefault, perPart } from '@wai/test-services/readme';
import { describe, expect, it } from 'vitest';
import { readServerConfig } from './config.js';

const appReadme = fileURLToPath(new URL('../README.md', import.meta.url));
const rootReadme = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** Every variable the server reads, with the default `readServerConfig({})` resolves (no variable set). */
function expectedDefaults(): Record<string, unknown> {
  const config = readServerConfig({});
  const presets = (['production', 'development', 'test'] as const).map((NODE_ENV) => loadConfigFromEnv({ NODE_ENV }));
  return {
    PORT: config.port,
    HOST: config.host,
    NODE_ENV: config.environment,
    DATA_DIR: pathDefault(config.dataDir, (relative) => resolve(relative)),
    DATABASE_URL: config.databaseUrl,
    CACHE_L3_URL: describedOnly('follows DATABASE_URL, else a file in DATA_DIR'),
    REDIS_URL: config.redisUrl,
    // No REDIS_HOST means no Redis at all (core's own host default applies only once REDIS_HOST or REDIS_URL is set).
    REDIS_HOST: config.redisUrl,
    REDIS_PORT: config.wai.redis.port,
    REDIS_PASSWORD: config.wai.redis.password,
    REDIS_DB: config.wai.redis.db,
    CACHE_NAMESPACE: config.namespace,
    CACHE_L1_MAX_SIZE: config.wai.cache.l1.maxSize,
    CACHE_L1_MAX_MEMORY: config.wai.cache.l1.maxMemory,
    CACHE_L2_DEFAULT_TTL: config.wai.cache.l2.defaultTTL,
    CACHE_WARMING_ENABLED: config.wai.cache.warmingEnabled,
    CACHE_PREDICTIVE_WARMING: describedOnly('on in the production preset only'),
    CACHE_COMMAND_TIMEOUT_MS: config.cacheCommandTimeoutMs,
    CACHE_WRITE_TIMEOUT_MS: config.cacheWriteTimeoutMs,
    CACHE_LEASE_WAIT_MS: config.cacheLeaseWaitMs,
    RESPONSE_CACHE_TTL: config.responseCacheTTL,
    PERFORMANCE_MONITORING_ENABLED: config.wai.monitoring.enabled,
    PERFORMANCE_MONITORING_INTERVAL: perPart(presets.map((preset) => preset.monitoring.interval)),
    PERFORMANCE_LOG_LEVEL: perPart(presets.map((preset) => preset.monitoring.logLevel)),
    LOG_LEVEL: config.logLevel,
    PERFORMANCE_DASHBOARD_TOKEN: config.dashboardToken,
    DASHBOARD_PUBLIC_READS: config.dashboardPublicReads,
    DASHBOARD_SHOW_QUERY_VALUES: config.dashboardShowQueryValues,
    DASHBOARD_ALLOWED_ORIGINS: config.dashboardAllowedOrigins.length === 0 ? undefined : config.dashboardAllowedOrigins,
    RATE_LIMIT_MAX: config.rateLimitMax,
    RATE_LIMIT_WRITE_MAX: config.rateLimitWriteMax,
    RATE_LIMIT_WINDOW_MS: config.rateLimitWindowMs,
    BODY_LIMIT: config.bodyLimit,
    SEED_DEMO_DATA: config.seedDemoData,
    DEMO_ROUTES: config.demoRoutes,
    REQUEST_TIMEOUT_MS: config.requestTimeoutMs,
    HEADERS_TIMEOUT_MS: config.headersTimeoutMs,
    CONNECTION_TIMEOUT_MS: config.connectionTimeoutMs,
    KEEP_ALIVE_TIMEOUT_MS: config.keepAliveTimeoutMs,
    SHUTDOWN_DRAIN_DELAY_MS: config.shutdownDrainDelayMs,
    SHUTDOWN_TIMEOUT_MS: config.shutdownTimeoutMs,
    CACHE_L3_MAX_BYTES: config.l3MaxBytes,
    CACHE_L3_WAL_MAX_BYTES: config.l3WalMaxBytes,
    CACHE_L3_MAINTENANCE_MS: config.l3MaintenanceMs,
    NEGATIVE_CACHE_MAX: config.negativeCacheMax,
    ALERTMANAGER_URL: config.alerts.alertmanagerUrl,
    ALERTMANAGER_RESEND_MS: config.alerts.resendIntervalMs,
    ALERT_WEBHOOK_URL: config.alerts.webhookUrl,
    ALERT_WEBHOOK_SECRET: config.alerts.webhookSecret,
    ALERT_INSTANCE: describedOnly('<hostname>:<PORT>, a template'),
    ALERT_TIMEOUT_MS: config.alerts.timeoutMs,
    ALERT_QUEUE_MAX: config.alerts.maxQueue,
  };
}

describe('README variable tables', () => {
  it("match readServerConfig's defaults (the app's README lists every variable)", () => {
    expect(checkReadmeDefaults(appReadme, expectedDefaults())).toEqual([]);
    // The one template default: ALERT_INSTANCE is `<hostname>:<PORT>`, with the port core's loader resolved.
    expect(readServerConfig({}).alerts.instance).toBe(`${hostname()}:3001`);
    expect(readServerConfig({ PORT: '8080' }).alerts.instance).toBe(`${hostname()}:8080`);
  });

  it("match them in the root README's summary table too", () => {
    expect(checkReadmeDefaults(rootReadme, expectedDefaults(), { subset: true })).toEqual([]);
  });
});
