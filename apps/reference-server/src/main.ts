/**
 * `node dist/main.js` — the reference server. Configuration comes from environment variables (see README);
 * SIGTERM/SIGINT drain in-flight requests, close the cache tiers and flush metric history before exiting.
 */
import { readServerConfig } from './config.js';
import { createReferenceServer } from './app.js';

async function main(): Promise<void> {
  const config = readServerConfig(process.env);
  const server = await createReferenceServer(config, process.env);
  const address = await server.app.listen({ port: config.port, host: config.host });
  server.app.log.info({ address, dataDir: config.dataDir, redis: Boolean(config.redisUrl), postgres: Boolean(config.databaseUrl) }, `reference server listening on ${address}`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down: draining requests, closing cache tiers, flushing history');
    // close() cuts stuck connections after the drain delay + SHUTDOWN_TIMEOUT_MS and then closes the cache, the
    // history and the database (each bounded by its own timeouts). This is the last resort if one of those hangs.
    const lastResortMs = config.shutdownDrainDelayMs + config.shutdownTimeoutMs + 10_000;
    const force = setTimeout(() => {
      server.app.log.error({ timeoutMs: lastResortMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, lastResortMs);
    force.unref();
    server
      .close()
      .then(() => {
        clearTimeout(force);
        server.app.log.info('shutdown complete: cache tiers, history and database closed');
        process.exitCode = 0;
        // Everything we opened is closed, so the process normally exits by itself here; if a library left a
        // handle open, do not wait on it forever.
        setTimeout(() => process.exit(0), 2000).unref();
      })
      .catch((error: unknown) => {
        server.app.log.error({ err: error }, 'error during shutdown');
        process.exitCode = 1;
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
