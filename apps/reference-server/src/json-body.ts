import type { FastifyInstance } from 'fastify';
import { ValidationError } from '@wai/metrics-core';

/** The first `__proto__` or `constructor.prototype` key in a parsed JSON value, as a path, or undefined. */
function findForbiddenKey(value: unknown, path = 'body', depth = 0): string | undefined {
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (key === '__proto__') return `${path}.__proto__`;
    if (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype')) return `${path}.constructor.prototype`;
    const found = findForbiddenKey(child, `${path}.${key}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The app's JSON body parser. Fastify's own answers an empty JSON body with 400 `FST_ERR_CTP_EMPTY_JSON_BODY`,
 * so a client that always sends `Content-Type: application/json` could not `DELETE`; here an empty body is no
 * body (a `POST`/`PUT` then fails its schema: "body must be object"). Prototype-poisoning keys get a message
 * that names them instead of Fastify's "Body is not valid JSON".
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    const source = String(text);
    if (source.trim().length === 0) {
      done(null, undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch (error) {
      done(new ValidationError('E_VALIDATION', `[wai:reference-server] request body is not valid JSON (${error instanceof Error ? error.message.slice(0, 120) : 'parse error'})`), undefined);
      return;
    }
    const forbidden = findForbiddenKey(parsed);
    if (forbidden !== undefined) {
      done(new ValidationError('E_VALIDATION', `[wai:reference-server] request body has a forbidden key ${forbidden}: "__proto__" and "constructor.prototype" are refused (prototype poisoning)`), undefined);
      return;
    }
    done(null, parsed);
  });
}
