import { Ajv, type Options, type SchemaValidateFunction } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { dateTimeProblem } from './date-time.js';

/** `rfc3339: true` on a string: a real calendar date-time in years 0000–9999; the error says what is wrong. */
const rfc3339: SchemaValidateFunction = (_schema: unknown, data: unknown) => {
  const problem = typeof data === 'string' ? dateTimeProblem(data) : 'must be a string';
  rfc3339.errors = problem === undefined ? [] : [{ keyword: 'rfc3339', message: `${problem} (got ${JSON.stringify(String(data).slice(0, 40))})`, params: {} }];
  return problem === undefined;
};

/** `canonicalId: true` on a string: digits with no sign, no leading zero, no spaces, at most 2^31 - 1. */
const canonicalId: SchemaValidateFunction = (_schema: unknown, data: unknown) => {
  const ok = typeof data === 'string' && /^[1-9]\d{0,9}$/.test(data) && Number(data) <= 2_147_483_647;
  canonicalId.errors = ok ? [] : [{ keyword: 'canonicalId', message: 'must be a positive integer written in plain decimal digits (1–2147483647, no sign, leading zero, spaces or exponent)', params: {} }];
  return ok;
};

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: false, removeAdditional: false, useDefaults: true, strict: false, ...options });
  ajv.addKeyword({ keyword: 'rfc3339', type: 'string', errors: true, validate: rfc3339 });
  ajv.addKeyword({ keyword: 'canonicalId', type: 'string', errors: true, validate: canonicalId });
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
