import type { FastifyInstance } from 'fastify';
import { errorBody } from './framework-errors.js';

export interface GracefulCloseOptions {
  /** Milliseconds the listener stays open answering 503 before it closes (load balancers notice). */
  drainDelayMs: number;
  /** Milliseconds in-flight requests may take after the listener closed; then the rest are cut. */
  timeoutMs: number;
}

export interface GracefulClose {
  /** True once `close` has begun. */
  readonly draining: boolean;
  /**
   * Drains and closes the app: every request from now on gets 503 with `Connection: close`; after `drainDelayMs`
   * the listener closes; requests still running after `timeoutMs` more have their sockets closed (a client that
   * stopped sending its body must not hold the shutdown). Resolves once the HTTP server has closed.
   */
  close(): Promise<void>;
}

/**
 * Shutdown for a server behind a load balancer. Closing the listener at once (what `fastify.close()` does)
 * turns the health probe and every new request into ECONNREFUSED; answering 503 first lets a balancer take the
 * instance out and a client retry elsewhere. Installs the hooks, so call it before the routes are registered.
 */
export function installGracefulClose(app: FastifyInstance, options: GracefulCloseOptions): GracefulClose {
  let draining = false;
  app.addHook('onRequest', (_request, reply, done) => {
    if (!draining) {
      done();
      return;
    }
    void reply
      .code(503)
      .header('connection', 'close')
      .header('retry-after', '1')
      .send(errorBody('E_SHUTTING_DOWN', '[wai:reference-server] the server is shutting down; retry on another instance'));
  });
  // Responses of requests that were already running also say `Connection: close`, so keep-alive clients let
  // go of their sockets and the server can finish closing instead of waiting for idle timeouts.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });

  let closing: Promise<void> | undefined;
  return {
    get draining() {
      return draining;
    },
    close() {
      closing ??= (async () => {
        draining = true;
        if (options.drainDelayMs > 0 && app.server.listening) await delay(options.drainDelayMs);
        const cut = setTimeout(() => app.server.closeAllConnections(), options.timeoutMs);
        cut.unref();
        try {
          await app.close();
        } finally {
          clearTimeout(cut);
        }
      })();
      return closing;
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
