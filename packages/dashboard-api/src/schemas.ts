/**
 * JSON schemas for every query and body the routes accept. The same objects are given to Fastify (route
 * `schema`) and to ajv on Express, so both mounts accept and reject exactly the same requests. Every object
 * schema sets `additionalProperties: false`: unknown fields are rejected, never silently dropped.
 */

const NAME = { type: 'string', minLength: 1, maxLength: 256 } as const;
const EPOCH_MS = { type: 'integer', minimum: 0, maximum: 8.64e15 } as const;

export const emptyQuerySchema = { type: 'object', additionalProperties: false, properties: {} } as const;

/**
 * Read routes that answer for this instance (default) or for the fleet (`scope=fleet`, when a fleet source is
 * configured); `instance` narrows the fleet answer to one instance (a drill-down).
 */
export const scopeQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scope: { type: 'string', enum: ['instance', 'fleet'] },
    instance: { type: 'string', pattern: '^[\\w.:-]{1,128}$' },
  },
} as const;

export const historyQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['metric'],
  properties: {
    metric: { type: 'string', pattern: '^[a-zA-Z0-9_.:-]{1,64}$' },
    route: NAME,
    from: EPOCH_MS,
    to: EPOCH_MS,
    /** Bucket width in ms (1 s .. 1 day). */
    step: { type: 'integer', minimum: 1000, maximum: 86_400_000 },
  },
} as const;

export const profileQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { id: NAME },
} as const;

export const profileParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: NAME },
} as const;

export const warmQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { strategy: NAME },
} as const;

/** Exactly one of `key`, `tag` or `all: true`. */
export const invalidateBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key: { type: 'string', minLength: 1, maxLength: 1024 },
    tag: NAME,
    all: { type: 'boolean', const: true },
  },
  oneOf: [{ required: ['key'] }, { required: ['tag'] }, { required: ['all'] }],
} as const;

/** Bodyless POSTs accept an empty object at most. */
export const emptyBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {},
} as const;

export interface RouteSchema {
  querystring?: object;
  params?: object;
  body?: object;
}
