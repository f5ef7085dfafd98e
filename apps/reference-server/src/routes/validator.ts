import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

/** RFC 3339 `date-time` (what `new Date(…).toISOString()` writes, with any offset), and a real calendar date. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: false, removeAdditional: false, useDefaults: true, strict: false, ...options });
  ajv.addFormat('date-time', { type: 'string', validate: (value: string) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)) });
  return ajv;
}

/**
 * Fastify's default Ajv coerces types everywhere, so a JSON body `{"capacity": true}` would pass as 1 and
 * `{"title": 5}` as "5". Query strings and path parameters are text and need coercion; JSON bodies already
 * carry types and get none. Unknown properties are rejected, never silently removed.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<object> {
  const strict = createAjv({ coerceTypes: false });
  const coercing = createAjv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema);
  };
}
