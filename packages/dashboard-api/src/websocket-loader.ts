import { ConfigError } from '@wai/metrics-core';

/** What the Fastify plugin needs of `@fastify/websocket`: its default export, a Fastify plugin. */
export type WebsocketPluginModule = { default: unknown };

/** Imports `@fastify/websocket`; a seam so tests can point it at a module that is not installed. */
export type WebsocketImporter = () => Promise<WebsocketPluginModule>;

export const importFastifyWebsocket: WebsocketImporter = () => import('@fastify/websocket');

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Loads `@fastify/websocket` (an optional peer: only live updates on Fastify need it). When it is not installed
 * the registration fails with a `ConfigError` that says what to do, instead of Node's bare ERR_MODULE_NOT_FOUND.
 */
export async function loadWebsocketPlugin(importer: WebsocketImporter = importFastifyWebsocket): Promise<unknown> {
  try {
    return (await importer()).default;
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new ConfigError(
      '[wai:dashboard-api] live updates on Fastify need @fastify/websocket, which is not installed: `npm install @fastify/websocket`, or register the dashboard with `live: false`',
      { cause: error },
    );
  }
}
