import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from '@wai/metrics-core';
import type { ServerConfig } from './config.js';
import { openPostgresDatabase, openSqliteDatabase, type SqlDatabase } from './db/sql-database.js';
import { seedIfEmpty } from './db/seed.js';
import { createWorkshopRepository, migrateWorkshops } from './db/workshop-repository.js';
import { installErrorHandling } from './error-handler.js';
import { clientErrorHandler, frameworkErrors } from './framework-errors.js';
import { installGracefulClose } from './graceful-close.js';
import { installJsonBodyParser } from './json-body.js';
import { createSqlHistoryStore } from './history/sql-history-store.js';
import { demoRoutes } from './routes/demo-routes.js';
import { workshopRoutes } from './routes/workshop-routes.js';
import { createPerformanceServices, type PerformanceServices } from './performance.js';

export interface ReferenceServer {
  app: FastifyInstance;
  performance: PerformanceServices;
  db: SqlDatabase;
  /**
   * Drains (503 for `SHUTDOWN_DRAIN_DELAY_MS`, then in-flight requests for up to `SHUTDOWN_TIMEOUT_MS`, then
   * cuts what is left), then closes the cache tiers, flushes history and closes the database (in that order).
   */
  close(): Promise<void>;
}

/**
 * Builds the reference server (not listening yet): the data store, the @wai performance stack and the routes.
 * `main.ts` listens on it; tests may `inject` into it.
 */
export async function createReferenceServer(config: ServerConfig, env: Record<string, string | undefined> = process.env): Promise<ReferenceServer> {
  const app = Fastify({
    logger: { level: config.logLevel },
    // A client that sends its headers or body slowly (or stops) is answered 408 and disconnected: Node checks
    // these timeouts every `connectionsCheckingInterval`, 30 s by default, too coarse for short timeouts.
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.headersTimeoutMs / 2))),
    },
    connectionTimeout: config.connectionTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    clientErrorHandler,
    frameworkErrors,
    // Request timing is the monitor's job; per-request log lines only at debug level.
    logController: new LogController({ disableRequestLogging: !['debug', 'trace'].includes(config.logLevel) }),
    bodyLimit: config.bodyLimit,
    // Reject (not strip) __proto__ / constructor.prototype in JSON bodies: the default is to error on both.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false } },
  });
  const logger = app.log as unknown as Logger;

  const db = config.databaseUrl ? openPostgresDatabase({ connectionString: config.databaseUrl }) : openSqliteDatabase(config.sqlitePath);
  await migrateWorkshops(db);
  const history = await createSqlHistoryStore(db);
  const performance = await createPerformanceServices({ config, env, db, history, logger });
  const repository = createWorkshopRepository(db, performance.read);
  const seeded = config.seedDemoData ? await seedIfEmpty(createWorkshopRepository(db)) : 0;
  if (seeded > 0) app.log.info({ seeded }, 'seeded demo workshops');

  const graceful = installGracefulClose(app, { drainDelayMs: config.shutdownDrainDelayMs, timeoutMs: config.shutdownTimeoutMs });
  installJsonBodyParser(app);

  await performance.register(app);
  installErrorHandling(app);
  await app.register(workshopRoutes, {
    repository,
    cache: performance.cache,
    routeConfig: performance.routeConfig,
    onLoad: performance.onLoad,
    writeGuard: performance.writeGuard,
    negativeCacheMax: config.negativeCacheMax,
  });
  if (config.demoRoutes) await app.register(demoRoutes);
  performance.addWarming(repository);

  let closing: Promise<void> | undefined;
  return {
    app,
    performance,
    db,
    close() {
      closing ??= (async () => {
        // The cache, the history and the database are closed even when the drain had to cut connections.
        await graceful.close().catch((error: unknown) => app.log.error({ err: error }, 'closing the HTTP server failed'));
        await performance.close();
        await history.close();
        await db.close();
      })();
      return closing;
    },
  };
}
