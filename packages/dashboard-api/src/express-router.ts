import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { NotFoundError, ValidationError } from '@wai/metrics-core';
import { createDashboardHandlers, type DashboardResponse, type DashboardRoute } from './handlers.js';
import { createLiveAccess, selectLiveProtocol } from './live-access.js';
import { createLiveHub, type LiveHub } from './live-hub.js';
import { resolveOptions, type DashboardApiOptions } from './options.js';
import { findForbiddenKey, forbiddenKeyError, readJsonBody } from './request-body.js';
import { createSchemaCompiler, validationError, type HttpPart } from './validator.js';

/** An Express-compatible middleware (also usable with a plain `node:http` server). */
export type DashboardMiddleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

interface CompiledRoute {
  route: DashboardRoute;
  pattern: RegExp;
  parameterNames: string[];
}

function compilePath(path: string): { pattern: RegExp; parameterNames: string[] } {
  const parameterNames: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        parameterNames.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), parameterNames };
}

/** Repeated keys become arrays, as in Fastify's query parser; ajv's `coerceTypes: 'array'` unwraps singles. */
function parseQuery(search: URLSearchParams): Record<string, unknown> {
  const query: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of search) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

function sendResponse(response: ServerResponse, result: DashboardResponse): void {
  response.statusCode = result.status;
  for (const [name, value] of Object.entries(result.headers)) response.setHeader(name, value);
  const body = result.body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) response.end(body);
  else response.end(JSON.stringify(body));
}

/**
 * The dashboard routes for Express: `app.use(createDashboardRouter({ monitor, cache, token, prefix }))`.
 * Mount it at the application root (paths are absolute, like the Fastify plugin's). It reads and validates
 * request bodies itself (with the same JSON schemas and limits as the Fastify plugin), so it works with or
 * without `express.json()` in front.
 */
export function createDashboardRouter(options: DashboardApiOptions): DashboardMiddleware {
  const resolved = resolveOptions(options);
  const handlers = createDashboardHandlers(resolved);
  const compile = createSchemaCompiler();
  const compiled: CompiledRoute[] = handlers.routes.map((route) => ({ route, ...compilePath(route.path) }));

  function validate(route: DashboardRoute, part: HttpPart, data: unknown): void {
    const schema = route.schema[part];
    if (!schema) return;
    const check = compile(schema, part);
    if (!check(data)) throw validationError(check.errors, part);
  }

  async function run(match: CompiledRoute, parameters: string[], request: IncomingMessage, url: URL): Promise<DashboardResponse> {
    const { route } = match;
    handlers.authorize(route.access, request.headers);
    const params: Record<string, unknown> = {};
    match.parameterNames.forEach((name, index) => {
      try {
        params[name] = decodeURIComponent(parameters[index] ?? '');
      } catch {
        throw new ValidationError('E_VALIDATION', '[wai:dashboard-api] invalid path: bad percent-encoding');
      }
    });
    const body = route.method === 'POST' ? await readJsonBody(request, resolved.bodyLimit) : undefined;
    const forbidden = findForbiddenKey(body);
    if (forbidden !== undefined) throw forbiddenKeyError(forbidden);
    const query = parseQuery(url.searchParams);
    // Fastify's order: params, body (only when one was sent, as Fastify validates per media type), query.
    validate(route, 'params', params);
    if (body !== undefined) validate(route, 'body', body);
    validate(route, 'querystring', query);
    return route.handle({ query, params, body, headers: request.headers });
  }

  return (request, response, next) => {
    const raw = (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url ?? '/';
    const url = new URL(raw, 'http://dashboard.invalid');
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    for (const match of compiled) {
      if (match.route.method !== method) continue;
      const found = match.pattern.exec(url.pathname);
      if (!found) continue;
      run(match, found.slice(1), request, url)
        .catch((error: unknown) => handlers.errorResponse(error))
        .then((result) => sendResponse(response, result))
        .catch(next);
      return;
    }
    next();
  };
}

export interface LiveUpdates {
  hub: LiveHub;
  /** Detaches from the server, closes every live client and stops the timers. */
  close(): Promise<void>;
}

function refuseUpgrade(socket: Duplex, status: number, body: object): void {
  const payload = JSON.stringify(body);
  const reasons: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };
  const reason = reasons[status] ?? 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
  );
}

/**
 * Serves live updates at `<prefix>/live` on the HTTP server an Express app listens on
 * (`attachLiveUpdates(server, options)` with the options given to `createDashboardRouter`). Upgrades for other
 * paths are left to other listeners.
 */
export function attachLiveUpdates(server: Server, options: DashboardApiOptions): LiveUpdates {
  const resolved = resolveOptions(options);
  const hub = createLiveHub(resolved);
  const handlers = createDashboardHandlers(resolved);
  const allowLive = createLiveAccess(resolved, hub);
  const livePath = `${resolved.prefix}/live`;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, handleProtocols: selectLiveProtocol });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://dashboard.invalid').pathname;
    if (path !== livePath) return;
    try {
      if (!resolved.live) throw new NotFoundError('[wai:dashboard-api] live updates are not mounted (NODE_ENV=production needs a token, or `live: false`)');
      allowLive(request.headers);
    } catch (error) {
      const result = handlers.errorResponse(error);
      refuseUpgrade(socket, result.status, result.body as object);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => hub.add(ws));
  };
  server.on('upgrade', onUpgrade);
  const close = async () => {
    server.off('upgrade', onUpgrade);
    hub.close();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
  server.once('close', () => void close());
  return { hub, close };
}
