/**
 * JSON schemas for the Workshops API. Fastify validates with them (bad input → 400 before a handler runs) and
 * serialises responses with them (unknown fields never leak). `additionalProperties: false` rejects rather than
 * strips unknown fields: the app turns off Ajv's `removeAdditional`.
 */
export const workshopSchema = {
  $id: 'workshop',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'title', 'description', 'startsAt', 'capacity', 'registrations', 'tags', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    title: { type: 'string' },
    description: { type: 'string' },
    startsAt: { type: 'string' },
    capacity: { type: 'integer' },
    registrations: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const writableProperties = {
  title: { type: 'string', minLength: 1, maxLength: 200 },
  description: { type: 'string', maxLength: 5000 },
  startsAt: { type: 'string', rfc3339: true },
  capacity: { type: 'integer', minimum: 1, maximum: 100_000 },
  registrations: { type: 'integer', minimum: 0, maximum: 100_000 },
  tags: { type: 'array', maxItems: 20, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 40 } },
} as const;

export const createWorkshopBody = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'description', 'startsAt', 'capacity'],
  properties: writableProperties,
} as const;

export const updateWorkshopBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: writableProperties,
} as const;

/**
 * Ids are canonical positive integers (`19`); anything else — `0x13`, `1e1`, `+19`, `19.0`, ` 19`, `019`, path
 * tricks, huge numbers — is a 400. Kept a string here (coercion would accept all of those as 19, each a separate
 * cache entry) and turned into a number by the route.
 */
export const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', canonicalId: true } },
} as const;

export const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    page: { type: 'integer', minimum: 1, maximum: 10_000, default: 1 },
    pageSize: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    q: { type: 'string', maxLength: 100 },
    from: { type: 'string', rfc3339: true },
    to: { type: 'string', rfc3339: true },
  },
} as const;

export const searchQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['q'],
  properties: {
    q: { type: 'string', minLength: 1, maxLength: 100 },
    limit: { type: 'integer', minimum: 1, maximum: 50, default: 20 },
  },
} as const;

export const popularQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 50, default: 10 } },
} as const;

export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;
