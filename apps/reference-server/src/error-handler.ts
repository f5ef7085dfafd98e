import type { FastifyError, FastifyInstance } from 'fastify';
import { WaiError } from '@wai/metrics-core';

/** `{ error: { code, message } }` for every failure, with a 4xx status for anything the client caused. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | WaiError | Error, request, reply) => {
    if ('validation' in error && error.validation) {
      return reply.code(400).send({ error: { code: 'E_VALIDATION', message: error.message } });
    }
    if (WaiError.isInstance(error)) {
      if (error.statusCode >= 500) request.log.error({ err: error }, error.message);
      if (error.code === 'E_RATE_LIMITED' && error.details?.retryAfterSeconds !== undefined) {
        void reply.header('retry-after', String(error.details.retryAfterSeconds));
      }
      return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message } });
    }
    const statusCode = (error as FastifyError).statusCode;
    // Fastify's own client errors (bad JSON, body too large, unsupported media type, …) keep their status.
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      return reply.code(statusCode).send({ error: { code: (error as FastifyError).code ?? 'E_BAD_REQUEST', message: error.message } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'E_INTERNAL', message: 'Internal server error' } });
  });

  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ error: { code: 'E_NOT_FOUND', message: `No route for ${request.method} ${request.url.split('?')[0]?.slice(0, 200) ?? ''}` } });
  });
}
