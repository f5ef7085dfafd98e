import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { createAnomalyAnalyzer } from '@wai/anomaly';
import { cacheAnalytics, createCache, createCircuitBreaker, createQueryCache, predictivePreloading, redisRateLimitStore, type Cache } from '@wai/cache-tiers';
import { Redis } from 'ioredis';
import { dashboardApi } from '@wai/dashboard-api';
import { createPerformanceMonitor, type CacheAdmin, type HistoryStore, type Logger, type PerformanceMonitor } from '@wai/metrics-core';
import { createFleetPublisher, createFleetReader } from '@wai/metrics-core/fleet';
import { clientAddressKey, createRateLimiter } from '@wai/metrics-core/http';
import { waiPerformance } from '@wai/middleware-fastify';
import { startAlertDelivery } from './alert-delivery.js';
import type { ServerConfig } from './config.js';
import { openL3SqliteFile } from './l3-sqlite-file.js';
import type { SqlDatabase } from './db/sql-database.js';
import type { SqlReader, WorkshopRepository } from './db/workshop-repository.js';
import { WORKSHOPS_TAG, workshopKey, workshopTag, type WorkshopRouteName } from './routes/workshop-routes.js';

/**
 * SQLite waits for another process's lock synchronously, on the event loop, so every request of the process waits
 * with it. A few ms covers a commit by the other instance; past that the statement fails like a slow tier call
 * (a fill is not stored in L3; an invalidation is retried asynchronously by the cache, with backoff, up to its
 * write timeout) instead of blocking the loop for a whole command timeout.
 */
const L3_BUSY_TIMEOUT_MS = 5;

/** Bound on one fleet command (a publish is up to a few MB; the reader's MGET of every instance, more). */
const FLEET_COMMAND_TIMEOUT_MS = 2000;

export interface PerformanceServices {
  monitor: PerformanceMonitor;
  cache: Cache;
  /** Reads through the query cache (keyed by normalised SQL + params, tagged by table). */
  read: SqlReader;
  /** Per-route `config`: tagged response caching on reads; writes are left to `writeGuard`. */
  routeConfig: (route: WorkshopRouteName) => Record<string, unknown>;
  /** `onRequest` of the write routes: `RATE_LIMIT_WRITE_MAX` writes per client per window across all of them. */
  writeGuard: onRequestHookHandler;
  /** Counts data-loader calls (a miss that reached the database), exported as `wai_custom_workshop_loads_total`. */
  onLoad: (key: string) => void;
  /** Registers the Fastify plugin (timing, caching, rate limits) and the dashboard on the app. */
  register(app: FastifyInstance): Promise<void>;
  /** Adds the `popular_workshops` warming strategy (needs the repository, built after the cache). */
  addWarming(repository: WorkshopRepository): void;
  /** Persists a last history sample, then closes the cache tiers and the monitor. */
  close(): Promise<void>;
}

export interface PerformanceServicesOptions {
  config: ServerConfig;
  env: Record<string, string | undefined>;
  db: SqlDatabase;
  history: HistoryStore;
  logger: Logger;
}

export async function createPerformanceServices(options: PerformanceServicesOptions): Promise<PerformanceServices> {
  const { config, db, history, logger } = options;
  const { monitoring, cache: cacheSettings } = config.wai;

  const monitor = createPerformanceMonitor({
    interval: monitoring.interval,
    thresholds: monitoring.thresholds,
    anomalyThreshold: monitoring.anomalyThreshold,
    trendAnalysisWindow: monitoring.trendAnalysisWindow,
    historyStore: history,
    logger,
  });
  monitor.use(createAnomalyAnalyzer({ trendWindowMs: monitoring.trendAnalysisWindow }));
  const alertDelivery = startAlertDelivery(monitor, config.alerts, logger);

  const redis = config.redisUrl;
  // The SQLite L3 file is opened here, with its bounds on disk (size cap, WAL limit, incremental vacuum).
  const l3File =
    config.l3.driver === 'sqlite'
      ? openL3SqliteFile({
          path: config.l3.path,
          maxBytes: config.l3MaxBytes,
          walMaxBytes: config.l3WalMaxBytes,
          maintenanceMs: config.l3MaintenanceMs,
          busyTimeoutMs: L3_BUSY_TIMEOUT_MS,
          logger,
        })
      : undefined;
  // One breaker for every client of this Redis (the cache's tier and the rate-limit counters): the first
  // timed-out command opens it for all, so a request on a stalled link waits out one command timeout, not one
  // per client it goes through. Open, reads fall through to SQL and the database at once, the limiter fails
  // open, and the cache's background probe closes it when Redis answers.
  const redisBreaker = redis ? createCircuitBreaker({ failureThreshold: 1, resetTimeout: 1000 }) : undefined;
  const cache = createCache({
    namespace: config.namespace,
    l1: { maxSize: cacheSettings.l1.maxSize, maxMemory: cacheSettings.l1.maxMemory, hotKeyThreshold: cacheSettings.l1.hotKeyThreshold },
    l2: redis ? { redis, defaultTTL: cacheSettings.l2.defaultTTL, compressionThreshold: cacheSettings.l2.compressionThreshold, circuitBreaker: redisBreaker! } : false,
    l3:
      config.l3.driver === 'off'
        ? false
        : config.l3.driver === 'sqlite'
          ? { driver: 'sqlite', database: l3File!.database, namespace: config.namespace, purgeInterval: config.l3MaintenanceMs }
          : { driver: 'postgres', connectionString: config.l3.connectionString, namespace: config.namespace },
    defaultTTL: cacheSettings.l2.defaultTTL,
    commandTimeout: config.cacheCommandTimeoutMs,
    // A write on an instance cut off from Redis gives up on it after this per step: the invalidation is queued and
    // handed to the shared SQL tier, which the other instances poll, so waiting longer buys nothing but a slow
    // PUT (the library's 1 s per step made a PUT on a stalled link take 2 s).
    writeTimeout: config.cacheWriteTimeoutMs,
    // With Redis: L1 invalidation across instances, and one load per cold key across instances.
    bus: Boolean(redis),
    // A waiter gives up on another instance's load after CACHE_LEASE_WAIT_MS (half a command timeout) and loads
    // itself: a loader here is one query, and a holder that is slow or cut off from Redis must not hold the other
    // instances' reads. A wait can be followed by one timed-out command when the link stalls meanwhile (the
    // re-read after it), so a full command timeout here let such a read wait 2 × the timeout plus its own work.
    lease: redis ? { wait: config.cacheLeaseWaitMs } : false,
    // The `popular_workshops` strategy (added with the repository) runs at start and every 5 minutes.
    warming: { intervalMs: cacheSettings.warmingEnabled ? 300_000 : 0 },
    // Top keys, access patterns per key prefix and a miss-ratio curve: what the analyzer's cache findings use.
    // With CACHE_PREDICTIVE_WARMING (on in the production preset): prefetch the workshop usually read next.
    plugins: [cacheAnalytics(), ...(cacheSettings.predictiveWarming ? [predictivePreloading({ enabled: true })] : [])],
    logger,
  });
  // What the dashboard's cache routes drive: warm a strategy, invalidate a key, a tag or everything.
  const cacheAdmin: CacheAdmin = {
    getAnalytics: () => cache.getAnalytics(),
    warm: (strategy) => cache.warm(strategy),
    listWarmingStrategies: () => cache.listWarmingStrategies(),
    delete: (key) => cache.delete(key),
    invalidateByTag: (tag) => cache.invalidateByTag(tag),
    clear: () => cache.clear(),
  };
  monitor.addCacheSource('main', cache);
  cache.on('tier:down', (tier, error) => monitor.reportConnection(`cache-${tier}`, false, error instanceof Error ? error.message : String(error)));
  cache.on('tier:up', (tier) => monitor.reportConnection(`cache-${tier}`, true));

  // SQL reads go through the query cache: keyed by normalised SQL + parameters, tagged by the tables read.
  const queryCache = createQueryCache({ cache, namespace: 'sql', defaultTTL: config.responseCacheTTL });
  // Query results also carry the app's tags for the tables they read (`workshops`), so one tag invalidation on a
  // write drops responses, data and query results together: one stamp, one bus message, no window in which a
  // fresh response could be rebuilt from a stale query result.
  const read: SqlReader = (sql, params, tables) =>
    queryCache.query(sql, params, async (text, values) => {
      const started = performance.now();
      let failed = false;
      try {
        return await db.all(text, values);
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        // Query timings feed the analyzer's slow-query findings.
        monitor.recordOperation('db', text.replace(/\s+/g, ' ').slice(0, 120), performance.now() - started, failed);
      }
    }, { tags: tables });

  // Rate-limit counters in Redis when there is one, so a limit holds across instances. Commands fail fast when
  // Redis is down (no offline queue) and the limiter then lets requests through (fail open). No retry and the
  // cache's command timeout: a count in flight when Redis died used to wait for a reconnect attempt or a 250 ms
  // timeout, and every request waits for its count (the reliability test's one 200 ms response after a kill).
  const rateLimitClient = redis
    ? new Redis(redis, { maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: config.cacheCommandTimeoutMs, lazyConnect: false })
    : undefined;
  rateLimitClient?.on('error', (error) => logger.debug({ err: error }, 'rate-limit Redis connection error'));
  const rateLimitStore = rateLimitClient ? redisRateLimitStore(rateLimitClient, { prefix: `{${config.namespace}}:rl:`, circuitBreaker: redisBreaker! }) : undefined;

  // One write allowance per client across POST, PUT and DELETE: the plugin's per-route limits would count
  // each route apart (three routes, three times the allowance). Shares the Redis counters when there are any.
  const writeLimiter = createRateLimiter({
    max: config.rateLimitWriteMax,
    windowMs: config.rateLimitWindowMs,
    adaptive: true,
    monitor,
    exempt: [],
    keyPrefix: 'rlw:',
    logger,
    ...(rateLimitStore ? { store: rateLimitStore } : {}),
  });
  const writeGuard: onRequestHookHandler = async (request, reply) => {
    const outcome = await writeLimiter.check({ key: clientAddressKey(request.ip), path: request.url, route: 'workshop writes' });
    reply.raw.once('close', outcome.release);
    void reply.headers(outcome.headers);
    if (!outcome.allowed) return reply.code(outcome.statusCode ?? 429).send(outcome.body);
  };

  // The fleet: every instance publishes its current window at the sampling interval (gone 2 intervals after it
  // stops) and reads everyone's, so any instance's dashboard answers `?scope=fleet`. Keys share the cache's
  // namespace and hash tag. Its own client: a publish carries up to a few MB and must not wait behind (or time
  // out like) the cache's 30 ms commands; no offline queue, so while Redis is down publishes fail at once (logged
  // once) and the instance's own dashboard is unaffected; the next publish after Redis returns rejoins.
  const fleetClient = redis
    ? new Redis(redis, { maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: FLEET_COMMAND_TIMEOUT_MS, lazyConnect: false })
    : undefined;
  fleetClient?.on('error', (error) => logger.debug({ err: error }, 'fleet Redis connection error'));
  const fleetPublisher = fleetClient
    ? createFleetPublisher({ monitor, redis: fleetClient, namespace: config.namespace, interval: monitoring.interval, autoStart: false, logger })
    : undefined;
  const fleet = fleetClient ? createFleetReader({ redis: fleetClient, namespace: config.namespace, logger }) : undefined;

  let loads = 0;

  return {
    monitor,
    cache,
    read,
    writeGuard,
    routeConfig: (route) =>
      route === 'create' || route === 'update' || route === 'delete'
        ? // Counted by `writeGuard` instead (one allowance across the write routes).
          { rateLimit: false }
        : // Every cached read carries the collection tag: any write drops them all (reads are cheap to redo,
          // a stale list after a write is not).
          { cache: { ttl: config.responseCacheTTL, tags: [WORKSHOPS_TAG] } },
    onLoad: () => {
      loads++;
      monitor.recordMetric('workshop_loads_total', loads);
    },
    async register(app) {
      await app.register(waiPerformance, {
        monitor,
        // Responses live in the tiered cache too: tags and the bus invalidate them on every instance.
        cacheStore: cache,
        // 404s are not stored: every distinct missing URL would be an entry (the data cache keeps a bounded
        // number of missing ids instead, see NEGATIVE_CACHE_MAX).
        cache: { ttl: config.responseCacheTTL, statuses: [200, 203, 204, 300, 301] },
        rateLimit: {
          max: config.rateLimitMax,
          windowMs: config.rateLimitWindowMs,
          // Shrinks limits while the monitor reports stress (event-loop delay, latency, errors) and recovers.
          adaptive: true,
          ...(rateLimitStore ? { store: rateLimitStore } : {}),
          // Reads and writes are counted apart, so browsing never uses up the write allowance.
          keyGenerator: (request) => `${clientAddressKey(request.ip)}:${request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write'}`,
        },
        serverTiming: true,
        profiling: true,
      });
      await app.register(dashboardApi, {
        monitor,
        cache: cacheAdmin,
        ...(config.dashboardToken ? { token: config.dashboardToken } : {}),
        environment: config.environment,
        publicReads: config.dashboardPublicReads,
        showQueryValues: config.dashboardShowQueryValues,
        allowedOrigins: config.dashboardAllowedOrigins,
        ...(fleet ? { fleet } : {}),
      });
      if (config.wai.monitoring.enabled) {
        monitor.start();
        fleetPublisher?.start();
      }
    },
    addWarming(repository) {
      cache.addWarmingStrategy({
        name: 'popular_workshops',
        description: 'The ten most-registered workshops, loaded into the data cache before anyone asks',
        enabled: true,
        patterns: ['workshop:*'],
        priority: 10,
        async warmupFunction(context) {
          for (const workshop of await repository.popular(10)) {
            await context.set(workshopKey(workshop.id), workshop, { ttl: 300, tags: [WORKSHOPS_TAG, workshopTag(workshop.id)], priority: 'high' });
          }
        },
      });
      if (cacheSettings.warmingEnabled) {
        void cache.warm('popular_workshops').catch((error: unknown) => logger.warn({ err: error }, 'warming popular_workshops failed'));
      }
    },
    async close() {
      // One last sample so the history store has the final figures before the process goes.
      await monitor.sample().catch(() => undefined);
      // Leaves the fleet at once rather than after its TTL.
      await fleetPublisher?.close();
      fleetClient?.disconnect();
      await cache.close();
      l3File?.close();
      await writeLimiter.close();
      // After the last sample (its resolved alerts go out too), before the monitor stops emitting.
      await alertDelivery?.close();
      await monitor.close();
      await rateLimitStore?.close();
      rateLimitClient?.disconnect();
    },
  };
}
