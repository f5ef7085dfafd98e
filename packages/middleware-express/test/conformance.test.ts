import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { createMemoryCacheStore } from '@wai/metrics-core/http';
import { HTTP_CONFORMANCE_CASES, runConformanceCase, type ConformanceTarget } from '@wai/metrics-core/http/testing';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { intelligentCache } from '../src/index.js';

/** `app.use(intelligentCache())` in front of a catch-all route, as the shared table expects. */
const expressTarget: ConformanceTarget = async ({ clock, handler, options }) => {
  const app = express();
  app.use(intelligentCache({ ...options, clock, store: createMemoryCacheStore({ clock }) }));
  app.use((req, res) => {
    const queryStart = req.originalUrl.indexOf('?');
    const answer = handler({ method: req.method, path: req.path, query: queryStart === -1 ? '' : req.originalUrl.slice(queryStart + 1), headers: req.headers });
    res.status(answer.status ?? 200);
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    res.send(answer.body ?? '');
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

describe('response cache conformance (shared table, Express)', () => {
  it.each(HTTP_CONFORMANCE_CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    expect(await runConformanceCase(expressTarget, testCase)).toEqual([]);
  });
});
