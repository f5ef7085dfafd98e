import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The one error shape of the API: `{ error: { code, message } }`. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/**
 * Fastify's `frameworkErrors`: errors its router raises before a route runs (a bad percent-encoding in the
 * path → 400, a path parameter longer than `maxParamLength` → 414). Fastify's default answers these in its own
 * shape (`{ "error": "Bad Request", "code", "statusCode" }`).
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(414).send(errorBody('E_URI_TOO_LONG', '[wai:reference-server] a path segment is longer than 200 characters'));
    return;
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    void reply.code(400).send(errorBody('E_BAD_URL', '[wai:reference-server] the request path has invalid percent-encoding'));
    return;
  }
  void reply.code(error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400).send(errorBody('E_BAD_REQUEST', `[wai:reference-server] ${error.message}`));
}

const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'E_REQUEST_TIMEOUT', message: 'the request (headers and body) was not received in time' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'E_HEADERS_TOO_LARGE', message: 'the request line and headers are larger than 16 KiB' },
};

/**
 * Node's `clientError`: requests that never reach Fastify's router (headers or URL over Node's 16 KiB
 * `maxHeaderSize` → 431, a request not received within `requestTimeout`/`headersTimeout` → 408, an unparsable
 * request → 400). Written straight to the socket, then the connection is closed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[error.code ?? ''] ?? { status: 400, code: 'E_BAD_REQUEST', message: 'the request is not valid HTTP/1.1' };
  const payload = JSON.stringify(errorBody(known.code, `[wai:reference-server] ${known.message}`));
  // A response already begun on this socket cannot be followed by another one.
  if ((socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy(error);
    return;
  }
  socket.end(
    `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
  );
}
