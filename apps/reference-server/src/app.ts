import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from '@wai/metrics-core';
import type { ServerConfig } from './config.js';
import { openPostgresDatabase, openSqliteDatabase, type SqlDatabase } from './db/sql-database.js';
import { seedIfEmpty } from './db/seed.js';
import { createWorkshopRepository, migrateWorkshops } from './db/workshop-repository.js';
import { installErrorHandling } from './error-handler.js';
import { createSqlHistoryStore } from './history/sql-history-store.js';
import { demoRoutes } from './routes/demo-routes.js';
import { workshopRoutes } from './routes/workshop-routes.js';
import { createPerformanceServices, type PerformanceServices } from './performance.js';

export interface ReferenceServer {
  app: FastifyInstance;
  performance: PerformanceServices;
  db: SqlDatabase;
  /** Drains requests, then closes the cache tiers, flushes history and closes the database (in that order). */
  close(): Promise<void>;
}

/**
 * Builds the reference server (not listening yet): the data store, the @wai performance stack and the routes.
 * `main.ts` listens on it; tests may `inject` into it.
 */
export async function createReferenceServer(config: ServerConfig, env: Record<string, string | undefined> = process.env): Promise<ReferenceServer> {
  const app = Fastify({
    logger: { level: config.logLevel },
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

  // Drain: once close() starts, responses of requests still in flight say `Connection: close`, so keep-alive
  // clients let go of their sockets and the server can finish closing instead of waiting for idle timeouts.
  let draining = false;
  app.addHook('preClose', (done) => {
    draining = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });

  await performance.register(app);
  installErrorHandling(app);
  await app.register(workshopRoutes, {
    repository,
    cache: performance.cache,
    routeConfig: performance.routeConfig,
    onLoad: performance.onLoad,
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
        await app.close();
        await performance.close();
        await history.close();
        await db.close();
      })();
      return closing;
    },
  };
}
