import type { IncomingMessage } from 'node:http';
import { ValidationError, WaiError } from '@wai/metrics-core';

/** Keys that would reach `Object.prototype` through a naive merge (prototype poisoning). */
export function findForbiddenKey(value: unknown, depth = 0): string | undefined {
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return key;
    const child = (value as Record<string, unknown>)[key];
    if (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype')) return 'constructor.prototype';
    const nested = findForbiddenKey(child, depth + 1);
    if (nested !== undefined) return nested;
  }
  return undefined;
}

/** One message for both mounts (Fastify's parser does not say which key it refused). */
export const FORBIDDEN_KEY_MESSAGE = '[wai:dashboard-api] invalid body: prototype keys ("__proto__", "constructor.prototype") are not allowed';

export function forbiddenKeyError(key: string): ValidationError {
  return new ValidationError('E_VALIDATION', FORBIDDEN_KEY_MESSAGE, { details: { key } });
}

export function payloadTooLargeError(limit: number): WaiError {
  return new WaiError('E_PAYLOAD_TOO_LARGE', `[wai:dashboard-api] request body is larger than ${limit} bytes`, { statusCode: 413 });
}

export function unsupportedMediaTypeError(): WaiError {
  return new WaiError('E_UNSUPPORTED_MEDIA_TYPE', '[wai:dashboard-api] request bodies must be application/json', { statusCode: 415 });
}

export function invalidJsonError(): ValidationError {
  return new ValidationError('E_VALIDATION', '[wai:dashboard-api] invalid body: not valid JSON');
}

export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const type = header.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json';
}

/**
 * Reads a JSON body for the Express mount with the same rules Fastify applies: `Content-Length` over the limit
 * is refused before reading, a stream that grows past it is cut off (413), non-JSON media types are 415, and
 * prototype-poisoning keys are 400. An empty body yields `undefined` (the route then sees no body).
 */
export async function readJsonBody(request: IncomingMessage & { body?: unknown; _body?: boolean }, limit: number): Promise<unknown> {
  // A body parser earlier in the Express chain (express.json()) already consumed the stream.
  if (request._body === true || request.readableEnded) {
    if (request.body === undefined || (typeof request.body === 'object' && request.body !== null && Object.keys(request.body).length === 0 && !request.headers['content-length'])) return undefined;
    return request.body;
  }
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    request.resume();
    throw payloadTooLargeError(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Drain rather than destroy an oversized stream: destroying the request would also kill the socket the
  // 413 answer has to go out on.
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) throw payloadTooLargeError(limit);
  if (size === 0) return undefined;
  if (!isJsonContentType(request.headers['content-type'])) throw unsupportedMediaTypeError();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw invalidJsonError();
  }
  return parsed;
}
