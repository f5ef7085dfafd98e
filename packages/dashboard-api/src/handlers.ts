import { NotFoundError, UnauthorizedError, ValidationError, WaiError, type HistoryQuery } from '@wai/metrics-core';
import { bearerFromHeader, createTokenCheck, type RouteAccess } from './auth.js';
import { buildDashboard, readCache } from './dashboard-body.js';
import { fleetAnalyticsBody, fleetDashboardBody, fleetHealthBody } from './fleet-body.js';
import { createOriginCheck } from './origin-check.js';
import { isCacheAdmin, type ResolvedOptions } from './options.js';
import { createPageAssets } from './page-assets.js';
import { createSnapshotSource, type Readings } from './snapshot-source.js';
import { FORBIDDEN_KEY_MESSAGE } from './request-body.js';
import {
  emptyBodySchema,
  emptyQuerySchema,
  historyQuerySchema,
  invalidateBodySchema,
  profileParamsSchema,
  profileQuerySchema,
  scopeQuerySchema,
  warmQuerySchema,
  type RouteSchema,
} from './schemas.js';

export type Headers = Record<string, string | string[] | undefined>;

/** A request as every mount hands it over: already parsed and schema-validated. */
export interface DashboardRequest {
  query: Record<string, unknown>;
  params: Record<string, unknown>;
  body: unknown;
  headers: Headers;
}

/** What a handler answers. An object body is sent as JSON; a string or Buffer as is. */
export interface DashboardResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface DashboardRoute {
  method: 'GET' | 'POST';
  /** Absolute path; `:name` marks a path parameter. */
  path: string;
  access: RouteAccess;
  schema: RouteSchema;
  handle(request: DashboardRequest): Promise<DashboardResponse> | DashboardResponse;
}

export interface DashboardHandlers {
  routes: DashboardRoute[];
  /** Throws `UnauthorizedError` when `headers` do not carry the token `access` needs. */
  authorize(access: RouteAccess, headers: Headers): void;
  /** Maps any error to `{ error: { code, message } }` with a 4xx (or 500, never with a stack). */
  errorResponse(error: unknown): DashboardResponse;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } as const;
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function json(body: unknown, status = 200): DashboardResponse {
  return { status, headers: { ...JSON_HEADERS }, body };
}

const INVALIDATE_MESSAGE = '[wai:dashboard-api] invalid body: send exactly one of "key", "tag" or "all": true';

/** Codes for errors that come from a framework (Fastify's body parser) or Node rather than from us. */
function codeForStatus(status: number): string {
  if (status === 413) return 'E_PAYLOAD_TOO_LARGE';
  if (status === 415) return 'E_UNSUPPORTED_MEDIA_TYPE';
  if (status === 401) return 'E_UNAUTHORIZED';
  if (status === 404) return 'E_NOT_FOUND';
  return 'E_VALIDATION';
}

/** A read route whose JSON bodies pass through `redact` (query values in cache keys and evidence). */
function redactedRoute(route: DashboardRoute, redact: ResolvedOptions['redact']): DashboardRoute {
  const handle = route.handle;
  const wrap = (response: DashboardResponse): DashboardResponse => {
    const body = response.body;
    if (body === null || typeof body !== 'object' || Buffer.isBuffer(body)) return response;
    return { ...response, body: redact(body) };
  };
  return {
    ...route,
    handle: (request) => {
      const result = handle(request);
      return result instanceof Promise ? result.then(wrap) : wrap(result);
    },
  };
}

export interface HandlerSettings {
  /** Add a redirect from the page path without its trailing slash. @default true */
  redirectBarePagePath?: boolean;
}

export function createDashboardHandlers(
  options: ResolvedOptions,
  readings: () => Readings = createSnapshotSource(options.monitor, options.snapshotMaxAge),
  settings: HandlerSettings = {},
): DashboardHandlers {
  const { monitor, prefix } = options;
  const tokenMatches = createTokenCheck(options.token);
  const sameOrigin = createOriginCheck(options.allowedOrigins);

  function authorize(access: RouteAccess, headers: Headers): void {
    // Before the token: a development server without one must still refuse a cross-site form or fetch.
    if (access === 'privileged') sameOrigin(headers);
    if (access === 'public' || options.token === undefined) return;
    if (access === 'read' && options.publicReads) return;
    if (!tokenMatches(bearerFromHeader(headers.authorization))) {
      throw new UnauthorizedError('[wai:dashboard-api] this route needs `Authorization: Bearer <token>` (PERFORMANCE_DASHBOARD_TOKEN)');
    }
  }

  function errorResponse(error: unknown): DashboardResponse {
    if (WaiError.isInstance(error) && error.statusCode < 500) {
      return json({ error: { code: error.code, message: error.message } }, error.statusCode);
    }
    const status = (error as { statusCode?: unknown } | null)?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const code = codeForStatus(status);
      const message =
        code === 'E_PAYLOAD_TOO_LARGE'
          ? `[wai:dashboard-api] request body is larger than ${options.bodyLimit} bytes`
          : code === 'E_UNSUPPORTED_MEDIA_TYPE'
            ? '[wai:dashboard-api] request bodies must be application/json'
            : /prototype/i.test(String((error as Error).message))
              ? FORBIDDEN_KEY_MESSAGE
              : '[wai:dashboard-api] invalid body: not valid JSON';
      return json({ error: { code, message } }, status);
    }
    if (WaiError.isInstance(error)) {
      // A dependency failure (e.g. the cache's Redis is down): its code and message are safe to show.
      return json({ error: { code: error.code, message: error.message } }, error.statusCode);
    }
    options.logger.error({ err: error }, '[wai:dashboard-api] route failed');
    return json({ error: { code: 'E_INTERNAL', message: '[wai:dashboard-api] internal error (see the server log)' } }, 500);
  }

  function cacheAdmin() {
    if (!isCacheAdmin(options.cache)) {
      throw new NotFoundError('[wai:dashboard-api] no cache that can warm and invalidate is attached; pass `cache` (a CacheAdmin) in the options');
    }
    return options.cache;
  }

  function profileDownload(id: string): DashboardResponse {
    const profile = monitor.getProfile(id);
    if (!profile) throw new NotFoundError(`[wai:dashboard-api] no captured profile "${id}"`);
    const filename = `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.cpuprofile`;
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'content-disposition': `attachment; filename="${filename}"`, 'cache-control': 'no-store' },
      body: JSON.stringify(profile.profile),
    };
  }

  /**
   * The fleet view when the query asks for it (`scope=fleet`), else undefined (this instance). `instance` only
   * makes sense with the fleet scope; without a configured fleet the answer is 404.
   */
  async function fleetView(query: Record<string, unknown>) {
    if (query.scope !== 'fleet') {
      if (query.instance !== undefined) throw new ValidationError('E_VALIDATION', '[wai:dashboard-api] invalid query: "instance" needs scope=fleet');
      return undefined;
    }
    if (!options.fleet) {
      throw new NotFoundError('[wai:dashboard-api] no fleet is configured: pass `fleet` (createFleetReader from @wai/metrics-core/fleet) in the options, or drop scope=fleet');
    }
    return options.fleet.read(typeof query.instance === 'string' ? { instance: query.instance } : {});
  }

  const at = (path: string) => `${prefix}/${path}`;
  /** `GET <name>` → `{ count, <name>: [...] }`. */
  const listRoute = (name: string, list: () => unknown[]): DashboardRoute => ({
    method: 'GET',
    path: at(name),
    access: 'read',
    schema: { querystring: emptyQuerySchema },
    handle: () => {
      const items = list();
      return json({ count: items.length, [name]: items });
    },
  });
  const routes: DashboardRoute[] = [
    {
      method: 'GET',
      path: at('dashboard'),
      access: 'read',
      schema: { querystring: scopeQuerySchema },
      handle: async ({ query }) => {
        const fleet = await fleetView(query);
        return json(fleet ? fleetDashboardBody(fleet) : buildDashboard(monitor, options.cache, readings()));
      },
    },
    {
      method: 'GET',
      path: at('health'),
      access: 'public',
      schema: { querystring: scopeQuerySchema },
      handle: async ({ query, headers }) => {
        // The fleet's health is for people: a load balancer probes each instance, so it always answers 200. It
        // lists every instance's host and pid, so it needs read access like the other fleet answers.
        if (query.scope === 'fleet') authorize('read', headers);
        const fleet = await fleetView(query);
        if (fleet) return json(fleetHealthBody(fleet));
        const { health } = readings();
        // Load balancers read the status: degraded still serves traffic, unhealthy should be taken out.
        return json(health, health.status === 'unhealthy' ? 503 : 200);
      },
    },
    {
      method: 'GET',
      path: at('metrics'),
      access: 'read',
      schema: { querystring: scopeQuerySchema },
      handle: async ({ query }) => json((await fleetView(query)) ?? readings().snapshot),
    },
    listRoute('bottlenecks', () => monitor.getBottlenecks()),
    listRoute('recommendations', () => monitor.getOptimizationRecommendations()),
    {
      method: 'GET',
      path: at('analytics'),
      access: 'read',
      schema: { querystring: scopeQuerySchema },
      handle: async ({ query }) => {
        const fleet = await fleetView(query);
        if (fleet) return json(fleetAnalyticsBody(fleet));
        const current = readings().snapshot;
        return json({
          timestamp: current.timestamp,
          cache: readCache(options.cache),
          caches: current.cache,
          endpoints: [...current.endpoints].sort((a, b) => b.count - a.count),
          rateLimit: current.rateLimit,
        });
      },
    },
    {
      method: 'GET',
      path: at('history'),
      access: 'read',
      schema: { querystring: historyQuerySchema },
      handle: async ({ query }) => {
        const metric = query.metric as string;
        const historyQuery: HistoryQuery = {};
        if (typeof query.route === 'string') historyQuery.route = query.route;
        if (typeof query.from === 'number') historyQuery.from = query.from;
        if (typeof query.to === 'number') historyQuery.to = query.to;
        if (typeof query.step === 'number') historyQuery.step = query.step;
        if (historyQuery.from !== undefined && historyQuery.to !== undefined && historyQuery.from > historyQuery.to) {
          throw new ValidationError('E_VALIDATION', '[wai:dashboard-api] invalid query: "from" is after "to"');
        }
        const points = await monitor.queryHistory(metric, historyQuery);
        return json({ metric, ...historyQuery, points });
      },
    },
    {
      method: 'GET',
      path: at('profile'),
      access: 'read',
      schema: { querystring: profileQuerySchema },
      handle: ({ query, headers }) => {
        if (typeof query.id !== 'string') return json({ profiles: monitor.getProfiles() });
        if (!options.mutationsEnabled) throw new NotFoundError('[wai:dashboard-api] profile downloads are disabled: set a token');
        authorize('privileged', headers);
        return profileDownload(query.id);
      },
    },
  ];

  if (options.mutationsEnabled) {
    routes.push(
      {
        method: 'GET',
        path: at('profile/:id'),
        access: 'privileged',
        schema: { params: profileParamsSchema, querystring: emptyQuerySchema },
        handle: ({ params }) => profileDownload(params.id as string),
      },
      {
        method: 'POST',
        path: at('cache/warm'),
        access: 'privileged',
        schema: { querystring: warmQuerySchema, body: emptyBodySchema },
        handle: async ({ query }) => {
          const results = await cacheAdmin().warm(typeof query.strategy === 'string' ? query.strategy : undefined);
          return json({ results });
        },
      },
      {
        method: 'POST',
        path: at('cache/invalidate'),
        access: 'privileged',
        schema: { querystring: emptyQuerySchema, body: invalidateBodySchema },
        handle: async ({ body }) => {
          const admin = cacheAdmin();
          const request = body as { key?: string; tag?: string; all?: true } | undefined;
          // Schemas only run on JSON bodies; a missing body reaches us unvalidated.
          if (request === undefined || request === null || typeof request !== 'object') throw new ValidationError('E_VALIDATION', INVALIDATE_MESSAGE);
          if (typeof request.key === 'string') return json({ invalidated: 'key', key: request.key, deleted: await admin.delete(request.key) });
          if (typeof request.tag === 'string') {
            await admin.invalidateByTag(request.tag);
            return json({ invalidated: 'tag', tag: request.tag });
          }
          if (request.all === true) {
            await admin.clear();
            return json({ invalidated: 'all' });
          }
          throw new ValidationError('E_VALIDATION', INVALIDATE_MESSAGE);
        },
      },
      {
        method: 'POST',
        path: at('monitoring/start'),
        access: 'privileged',
        schema: { querystring: emptyQuerySchema, body: emptyBodySchema },
        handle: () => {
          monitor.start();
          return json({ running: monitor.isRunning });
        },
      },
      {
        method: 'POST',
        path: at('monitoring/stop'),
        access: 'privileged',
        schema: { querystring: emptyQuerySchema, body: emptyBodySchema },
        handle: () => {
          monitor.stop();
          return json({ running: monitor.isRunning });
        },
      },
    );
  }

  if (options.metricsPath !== false) {
    routes.push({
      method: 'GET',
      path: options.metricsPath,
      access: 'read',
      schema: {},
      handle: () => ({ status: 200, headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' }, body: monitor.toPrometheus() }),
    });
  }

  if (options.pagePath !== false) routes.push(...createPageAssets(options, options.pagePath, settings.redirectBarePagePath ?? true));

  return { routes: routes.map((route) => (route.access === 'read' ? redactedRoute(route, options.redact) : route)), authorize, errorResponse };
}
