/**
 * The guide's Express integration, as written: `initializePerformanceSystem(app, server, config)` before the
 * routes, `createRouteMonitoring(...)` on the API router, the custom-metrics snippet (`monitor.recordMetric`)
 * and the database-integration snippet (`monitor.recordOperation`), plus the dashboard router.
 */
import { createServer, type Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createCache, type Cache } from '@wai/cache-tiers';
import { attachLiveUpdates, createDashboardRouter } from '@wai/dashboard-api';
import { createRouteMonitoring, initializePerformanceSystem, invalidateOnWrite, type PerformanceSystem } from '@wai/middleware-express';
import { WaiError } from '@wai/metrics-core';
import { createWorkshopStore, type WorkshopStore } from './workshop-store.js';

export interface ExampleApp {
  app: express.Express;
  server: Server;
  performanceSystem: PerformanceSystem;
  cache: Cache;
  store: WorkshopStore;
  close(): Promise<void>;
}

export interface ExampleOptions {
  /** Monitoring interval (ms). @default 30000 */
  interval?: number;
  /** Requests per minute per client on /api. @default 100 */
  rateLimitMax?: number;
  /** Simulated query time of the example database (ms). @default 5 */
  queryDelayMs?: number;
}

export function createExampleApp(options: ExampleOptions = {}): ExampleApp {
  const app = express();
  const server = createServer(app);
  const store = createWorkshopStore(options.queryDelayMs ?? 5);

  // Responses are cached in a @wai/cache-tiers cache (memory only here; add `l2: { redis }` to share it).
  const cache = createCache({ namespace: 'express-example', l1: { maxSize: 1000 } });

  // 1. Initialise the performance system before any route.
  const performanceSystem = initializePerformanceSystem(app, server, {
    monitor: { interval: options.interval ?? 30_000 },
    cache,
  });
  const { monitor } = performanceSystem;
  monitor.addCacheSource('responses', cache);

  // Database integration: time every query and report it, so slow queries show up as bottlenecks.
  async function timedQuery<T>(name: string, query: () => Promise<T>): Promise<T> {
    const start = performance.now();
    let failed = false;
    try {
      return await query();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      monitor.recordOperation('db', name, performance.now() - start, failed);
    }
  }

  // 2. Route-level monitoring: timing, a rate limit and response caching for the workshop API.
  const api = express.Router();
  api.use(
    createRouteMonitoring({
      enableCaching: true,
      cacheTTL: 300,
      cache: { tags: ['workshops'] },
      enableProfiling: true,
      rateLimit: { max: options.rateLimitMax ?? 100, windowMs: 60_000 },
    }),
  );
  api.use(express.json({ limit: '16kb' }));
  // Writes drop the cached reads that carry the tag.
  api.use(invalidateOnWrite({ tags: ['workshops'] }));

  api.get('/workshops', async (_req, res) => {
    res.json(await timedQuery('SELECT workshops', () => store.findAll()));
  });

  api.get('/workshops/:id', async (req, res) => {
    const workshop = await timedQuery('SELECT workshop by id', () => store.findById(Number(req.params.id)));
    if (!workshop) {
      res.status(404).json({ error: { code: 'E_NOT_FOUND', message: 'No such workshop' } });
      return;
    }
    res.json(workshop);
  });

  api.post('/workshops/:id/registrations', async (req, res) => {
    const workshop = await timedQuery('UPDATE workshop registrations', () => store.register(Number(req.params.id)));
    if (!workshop) {
      res.status(409).json({ error: { code: 'E_FULL', message: 'Workshop is full or does not exist' } });
      return;
    }
    // Custom metrics: business figures beside the technical ones (exported as wai_custom_<name>).
    monitor.recordMetric('workshop_registrations', workshop.registrations, { workshop: String(workshop.id) });
    res.status(201).json(workshop);
  });

  app.use('/api', api);

  // 3. The dashboard API, page, Prometheus endpoint and live updates.
  app.use(createDashboardRouter({ monitor, cache }));
  const live = attachLiveUpdates(server, { monitor });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = WaiError.isInstance(error) ? error.statusCode : ((error as { status?: number }).status ?? 500);
    const code = WaiError.isInstance(error) ? error.code : status < 500 ? 'E_BAD_REQUEST' : 'E_INTERNAL';
    res.status(status).json({ error: { code, message: status < 500 ? (error as Error).message : 'Internal server error' } });
  });

  return {
    app,
    server,
    performanceSystem,
    cache,
    store,
    async close() {
      await live.close();
      await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
      await performanceSystem.close();
      await cache.close();
    },
  };
}
