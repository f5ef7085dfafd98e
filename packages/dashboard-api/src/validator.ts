import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ValidationError } from '@wai/metrics-core';

export type HttpPart = 'body' | 'querystring' | 'params';

/**
 * One ajv configuration for both mounts. Query strings and path params arrive as strings, so they are
 * coerced (`?from=1700000000000` → number, as Fastify does by default); bodies are JSON and are not, so
 * `{ "key": 123 }` is a type error rather than the key "123". `removeAdditional` stays off (Fastify's default
 * would silently drop unknown fields; we reject them).
 */
export function createSchemaCompiler(): (schema: object, part: HttpPart) => ValidateFunction {
  const common = { allErrors: false, removeAdditional: false, useDefaults: false, allowUnionTypes: true, strict: true, strictRequired: false } as const;
  const coercing = new Ajv({ ...common, coerceTypes: 'array' });
  const exact = new Ajv({ ...common, coerceTypes: false });
  const compiled = { exact: new Map<object, ValidateFunction>(), coercing: new Map<object, ValidateFunction>() };
  return (schema, part) => {
    const kind = part === 'body' ? 'exact' : 'coercing';
    let validate = compiled[kind].get(schema);
    if (!validate) {
      validate = (kind === 'exact' ? exact : coercing).compile(schema);
      compiled[kind].set(schema, validate);
    }
    return validate;
  };
}

const PART_NAMES: Record<HttpPart, string> = { body: 'body', querystring: 'query', params: 'path' };

/** One readable sentence from ajv's first error; identical on both mounts because both use ajv. */
export function formatValidationErrors(errors: readonly ErrorObject[] | null | undefined, part: HttpPart): string {
  const first = errors?.[0];
  const where = PART_NAMES[part];
  if (!first) return `[wai:dashboard-api] invalid ${where}`;
  const field = first.instancePath === '' ? '' : ` field "${first.instancePath.slice(1).replaceAll('/', '.')}"`;
  switch (first.keyword) {
    case 'additionalProperties':
      return `[wai:dashboard-api] invalid ${where}: unknown field "${String((first.params as { additionalProperty?: unknown }).additionalProperty)}"`;
    case 'oneOf':
      return `[wai:dashboard-api] invalid ${where}: send exactly one of "key", "tag" or "all": true`;
    case 'required':
      return `[wai:dashboard-api] invalid ${where}: missing field "${String((first.params as { missingProperty?: unknown }).missingProperty)}"`;
    default:
      return `[wai:dashboard-api] invalid ${where}${field}: ${first.message ?? 'is invalid'}`;
  }
}

export function validationError(errors: readonly ErrorObject[] | null | undefined, part: HttpPart): ValidationError {
  return new ValidationError('E_VALIDATION', formatValidationErrors(errors, part), { details: { part: PART_NAMES[part] } });
}
