import type { FastifyInstance, FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { NotFoundError } from '@wai/metrics-core';
import type { WorkshopInput, WorkshopPatch, WorkshopRepository } from '../db/workshop-repository.js';
import { createNegativeCacheBound } from './negative-cache.js';
import { createValidatorCompiler } from './validator.js';
import { createWorkshopBody, idParams, listQuery, popularQuery, searchQuery, updateWorkshopBody, workshopSchema } from './schemas.js';

/** The part of the data cache the routes use (an `@wai/cache-tiers` cache fits). */
export interface WorkshopDataCache {
  getOrSet<T>(key: string, loader: () => Promise<T>, options?: { ttl?: number; tags?: string[]; predictive?: boolean }): Promise<T>;
  invalidateByTag(tag: string): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export interface WorkshopRoutesOptions {
  repository: WorkshopRepository;
  cache: WorkshopDataCache;
  /** Seconds a single workshop stays in the data cache. @default 300 */
  itemTTL?: number;
  /** Per-route `config` (response caching on reads, rate limits on writes); none when absent. */
  routeConfig?: (route: WorkshopRouteName) => Record<string, unknown> | undefined;
  /** Called after a write with the tags it invalidated (after the cache has dropped them). */
  onWrite?: (tags: string[]) => Promise<void>;
  /** Counts calls of the data loader (a cache miss reaching the database), for the dashboard's analytics. */
  onLoad?: (key: string) => void;
  /** Most missing ids kept as cached "not found" answers by this instance (oldest deleted first). @default 1000 */
  negativeCacheMax?: number;
  /** An `onRequest` hook for the write routes (the app's per-client write limit across all of them). */
  writeGuard?: onRequestHookHandler;
}

export type WorkshopRouteName = 'list' | 'item' | 'search' | 'popular' | 'create' | 'update' | 'delete';

export const WORKSHOPS_TAG = 'workshops';
export const workshopTag = (id: number): string => `workshop:${id}`;
export const workshopKey = (id: number): string => `workshop:${id}`;

export const workshopRoutes: FastifyPluginAsync<WorkshopRoutesOptions> = async (app: FastifyInstance, options) => {
  const { repository, cache } = options;
  const itemTTL = options.itemTTL ?? 300;
  const cacheConfig = (route: WorkshopRouteName) => {
    const config = options.routeConfig?.(route);
    return config ? { config } : {};
  };
  // Every cached read (responses, the item, SQL results) carries the collection tag, so one invalidation covers
  // all of them at once — on every instance, through the bus.
  const invalidate = async () => {
    await cache.invalidateByTag(WORKSHOPS_TAG);
    await options.onWrite?.([WORKSHOPS_TAG]);
  };
  const negatives = createNegativeCacheBound(options.negativeCacheMax ?? 1000, (key) => cache.delete(key));
  const writeGuard = options.writeGuard ? { onRequest: options.writeGuard } : {};
  const load = async (id: number) => {
    const workshop = await loadCached(id);
    if (workshop === null) await negatives.noteMissing(workshopKey(id));
    return workshop;
  };
  const loadCached = (id: number) =>
    cache.getOrSet(
      workshopKey(id),
      async () => {
        options.onLoad?.(workshopKey(id));
        // null, not undefined: "no such workshop" is cached too, so a missing id cannot hammer the database.
        return (await repository.get(id)) ?? null;
      },
      // predictive: the loader is remembered so predictive preloading and refresh-ahead can call it again.
      { ttl: itemTTL, tags: [WORKSHOPS_TAG, workshopTag(id)], predictive: true },
    );

  app.setValidatorCompiler(createValidatorCompiler());
  app.addSchema(workshopSchema);

  app.get<{ Querystring: { page: number; pageSize: number; q?: string; from?: string; to?: string } }>(
    '/api/workshops',
    {
      ...cacheConfig('list'),
      schema: {
        querystring: listQuery,
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'workshop#' } }, total: { type: 'integer' }, page: { type: 'integer' }, pageSize: { type: 'integer' } } } },
      },
    },
    async (request) => {
      const { page, pageSize, q, from, to } = request.query;
      const result = await repository.list({
        page,
        pageSize,
        ...(q ? { q } : {}),
        ...(from ? { from: new Date(from).toISOString() } : {}),
        ...(to ? { to: new Date(to).toISOString() } : {}),
      });
      return { ...result, page, pageSize };
    },
  );

  app.get<{ Querystring: { q: string; limit: number } }>(
    '/api/workshops/search',
    { ...cacheConfig('search'), schema: { querystring: searchQuery, response: { 200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'workshop#' } }, total: { type: 'integer' } } } } } },
    async (request) => {
      const items = await repository.search(request.query.q, request.query.limit);
      return { items, total: items.length };
    },
  );

  app.get<{ Querystring: { limit: number } }>(
    '/api/workshops/popular',
    { ...cacheConfig('popular'), schema: { querystring: popularQuery, response: { 200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'workshop#' } }, total: { type: 'integer' } } } } } },
    async (request) => {
      const items = await repository.popular(request.query.limit);
      return { items, total: items.length };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/workshops/:id',
    { ...cacheConfig('item'), schema: { params: idParams, response: { 200: { $ref: 'workshop#' } } } },
    async (request) => {
      const workshop = await load(Number(request.params.id));
      if (!workshop) throw new NotFoundError(`[wai:reference-server] workshop ${request.params.id} does not exist`);
      return workshop;
    },
  );

  app.post<{ Body: WorkshopInput }>(
    '/api/workshops',
    { ...cacheConfig('create'), ...writeGuard, schema: { body: createWorkshopBody, response: { 201: { $ref: 'workshop#' } } } },
    async (request, reply) => {
      const workshop = await repository.create(request.body);
      await invalidate();
      return reply.code(201).header('location', `/api/workshops/${workshop.id}`).send(workshop);
    },
  );

  app.put<{ Params: { id: string }; Body: WorkshopPatch }>(
    '/api/workshops/:id',
    { ...cacheConfig('update'), ...writeGuard, schema: { params: idParams, body: updateWorkshopBody, response: { 200: { $ref: 'workshop#' } } } },
    async (request) => {
      const workshop = await repository.update(Number(request.params.id), request.body);
      if (!workshop) throw new NotFoundError(`[wai:reference-server] workshop ${request.params.id} does not exist`);
      await invalidate();
      return workshop;
    },
  );

  app.delete<{ Params: { id: string } }>('/api/workshops/:id', { ...cacheConfig('delete'), ...writeGuard, schema: { params: idParams } }, async (request, reply) => {
    const deleted = await repository.delete(Number(request.params.id));
    if (!deleted) throw new NotFoundError(`[wai:reference-server] workshop ${request.params.id} does not exist`);
    await invalidate();
    return reply.code(204).send();
  });
};
