import { createMemoryCacheStore } from '@wai/metrics-core/http';
import { HTTP_CONFORMANCE_CASES, runConformanceCase, type ConformanceTarget } from '@wai/metrics-core/http/testing';
import { listen } from '@wai/test-services/http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { adaptiveRateLimit, intelligentCache } from '../src/index.js';

/**
 * One shared `intelligentCache` in front of a catch-all route, as the shared table expects; with a rate limit,
 * `app.use(adaptiveRateLimit(...))` ahead of it, and the table's per-route limits as route-level limiters
 * registered before it (Express's way of giving a route a limit of its own).
 */
const expressTarget: ConformanceTarget = async ({ clock, handler, options, rateLimit }) => {
  const app = express();
  const cache = intelligentCache({ ...options, clock, store: createMemoryCacheStore({ clock }) });
  const answer: express.RequestHandler = (req, res) => {
    const queryStart = req.originalUrl.indexOf('?');
    const origin = handler({ method: req.method, path: req.path, query: queryStart === -1 ? '' : req.originalUrl.slice(queryStart + 1), headers: req.headers });
    res.status(origin.status ?? 200);
    for (const [name, value] of Object.entries(origin.headers ?? {})) res.setHeader(name, value);
    res.send(origin.body ?? '');
  };
  if (rateLimit) {
    const { routes = {}, store, ...global } = rateLimit;
    for (const [path, limit] of Object.entries(routes)) app.all(path, ...(limit ? [adaptiveRateLimit({ ...limit, store, clock })] : []), cache, answer);
    app.use(adaptiveRateLimit({ ...global, store, clock }));
  }
  app.use(cache, answer);
  return listen(app);
};

describe('response cache conformance (shared table, Express)', () => {
  it.each(HTTP_CONFORMANCE_CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    expect(await runConformanceCase(expressTarget, testCase)).toEqual([]);
  });
});
