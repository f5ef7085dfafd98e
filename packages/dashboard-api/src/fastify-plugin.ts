import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import fp from 'fastify-plugin';
import { createDashboardHandlers, type DashboardResponse } from './handlers.js';
import { createLiveAccess, selectLiveProtocol } from './live-access.js';
import { createLiveHub, type LiveHub } from './live-hub.js';
import { resolveOptions, type DashboardApiOptions } from './options.js';
import { createSnapshotSource } from './snapshot-source.js';
import { findForbiddenKey, forbiddenKeyError, invalidJsonError, isJsonContentType, unsupportedMediaTypeError } from './request-body.js';
import { createSchemaCompiler, validationError, type HttpPart } from './validator.js';
import { importFastifyWebsocket, loadWebsocketPlugin, type WebsocketImporter } from './websocket-loader.js';

/** Options of the Fastify plugin (the shared options; `logger` defaults to `fastify.log`). */
export type DashboardApiPluginOptions = DashboardApiOptions;

/** What the plugin decorates the instance with: `fastify.getDecorator<DashboardDecorator>('waiDashboard')`. */
export interface DashboardDecorator {
  /** The live-update hub, when live updates are on. */
  live: LiveHub | undefined;
}

/**
 * A Fastify instance as the public types describe it, so they do not import fastify (an optional peer: an Express
 * user need not have it, and must still compile with `skipLibCheck: false`). Every Fastify 5 instance fits.
 */
export interface FastifyHost {
  readonly version: string;
  decorate(property: string, value: unknown): unknown;
}

/** The plugin's type: `fastify.register(dashboardApi, options)` checks `options` against it. */
export type DashboardApiPlugin = (fastify: FastifyHost, options: DashboardApiPluginOptions) => Promise<void>;

function send(reply: FastifyReply, response: DashboardResponse): FastifyReply {
  reply.code(response.status).headers(response.headers);
  return reply.send(response.body);
}

async function dashboardApiPlugin(fastify: FastifyInstance, pluginOptions: DashboardApiPluginOptions, importWebsocket: WebsocketImporter): Promise<void> {
  const options = resolveOptions({ logger: fastify.log, ...pluginOptions });
  // One shared snapshot for the routes and the live frames of this mount.
  const readings = createSnapshotSource(options.monitor, options.snapshotMaxAge);
  // With ignoreTrailingSlash, `/prefix` and `/prefix/` are one route: no separate redirect then.
  const routerOptions = (fastify.initialConfig as { routerOptions?: { ignoreTrailingSlash?: boolean } }).routerOptions;
  const handlers = createDashboardHandlers(options, readings, { redirectBarePagePath: routerOptions?.ignoreTrailingSlash !== true });
  const compile = createSchemaCompiler();
  const hub = options.live ? createLiveHub(options, readings) : undefined;
  fastify.decorate('waiDashboard', { live: hub });
  // preClose runs before @fastify/websocket's onClose terminates sockets, so clients get 1001 going away.
  fastify.addHook('preClose', async () => hub?.close());
  fastify.addHook('onClose', async () => hub?.close());

  // Routes live in a child context so our validator and error handler never leak into the user's app.
  await fastify.register(async (child) => {
    const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
      const part = (httpPart === 'querystring' || httpPart === 'params' ? httpPart : 'body') as HttpPart;
      return compile(schema, part);
    };
    child.setValidatorCompiler(validatorCompiler);
    child.setSchemaErrorFormatter((errors, dataVar) => {
      const part: HttpPart = dataVar === 'querystring' || dataVar === 'params' ? dataVar : 'body';
      return validationError(errors as Parameters<typeof validationError>[0], part);
    });
    // Our own JSON parser (encapsulated in this child) so both mounts parse, refuse prototype keys and word
    // their errors identically; an empty body is "no body", as on Express.
    child.removeContentTypeParser('application/json');
    child.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: options.bodyLimit }, (_request, text, done) => {
      const source = String(text);
      if (source.length === 0) {
        done(null, undefined);
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(source);
      } catch {
        done(invalidJsonError(), undefined);
        return;
      }
      const forbidden = findForbiddenKey(parsed);
      if (forbidden !== undefined) done(forbiddenKeyError(forbidden), undefined);
      else done(null, parsed);
    });
    child.setErrorHandler((error, _request, reply) => {
      // The schema error formatter returns our ValidationError; Fastify may wrap it with `validation` set.
      send(reply, handlers.errorResponse(error));
    });

    for (const route of handlers.routes) {
      const schema = Object.keys(route.schema).length === 0 ? undefined : route.schema;
      child.route({
        method: route.method,
        url: route.path,
        ...(schema ? { schema } : {}),
        bodyLimit: options.bodyLimit,
        onRequest: async (request: FastifyRequest) => handlers.authorize(route.access, request.headers),
        preValidation: async (request: FastifyRequest) => {
          if (request.body === undefined) return;
          if (!isJsonContentType(request.headers['content-type'])) throw unsupportedMediaTypeError();
          const forbidden = findForbiddenKey(request.body);
          if (forbidden !== undefined) throw forbiddenKeyError(forbidden);
        },
        handler: async (request, reply) => {
          const response = await route.handle({
            query: request.query as Record<string, unknown>,
            params: request.params as Record<string, unknown>,
            body: request.body,
            headers: request.headers,
          });
          return send(reply, response);
        },
      });
    }

    if (hub) {
      if (!child.hasDecorator('websocketServer')) {
        const websocket = (await loadWebsocketPlugin(importWebsocket)) as typeof import('@fastify/websocket').default;
        await child.register(websocket, { options: { maxPayload: 4096, handleProtocols: selectLiveProtocol } });
      }
      const allowLive = createLiveAccess(options, hub);
      child.get(
        `${options.prefix}/live`,
        { websocket: true, onRequest: async (request: FastifyRequest) => allowLive(request.headers) },
        (socket) => hub.add(socket),
      );
    }
  });
}

/**
 * The dashboard as a Fastify plugin: `fastify.register(dashboardApi, { monitor, cache, token, prefix })`.
 * Registers `@fastify/websocket` for live updates unless the app already has it.
 */
export const dashboardApi: DashboardApiPlugin = createDashboardApiPlugin(importFastifyWebsocket);

/** The plugin with another way to import `@fastify/websocket` (tests use it to run without the package). */
export function createDashboardApiPlugin(importWebsocket: WebsocketImporter): DashboardApiPlugin {
  // The public FastifyHost is Fastify's instance described structurally; what fastify.register passes is one.
  const plugin: DashboardApiPlugin = (fastify, options) => dashboardApiPlugin(fastify as FastifyInstance, options, importWebsocket);
  return fp(plugin, { fastify: '5.x', name: '@wai/dashboard-api' });
}
