/** Express servers for the benchmark (compiled to plain JS by the harness); `node servers.mjs <variant>` prints `PORT <n>`. */
import type { AddressInfo } from 'node:net';
import { createPerformanceMonitor } from '@wai/metrics-core';
import { createMemoryCacheStore } from '@wai/metrics-core/http';
import { answerCpuProbes, ONE_KB_DOCUMENT } from '@wai/test-services/bench-server';
import apicache from 'apicache';
import express from 'express';
import promBundle from 'express-prom-bundle';
import { enhancedRequestTiming, instrumentApp, intelligentCache } from '../src/index.js';

answerCpuProbes();

const variant = process.argv[2] ?? 'bare';
const app = express();
app.disable('x-powered-by');
// What initializePerformanceSystem mounts: timing from the app's entry point, no router layer.
if (variant === 'wai') instrumentApp(app, { monitor: createPerformanceMonitor({ autoStart: true }) });
if (variant === 'wai-middleware') app.use(enhancedRequestTiming({ monitor: createPerformanceMonitor({ autoStart: true }) }));
// The router layer an app.use middleware costs by itself, so the middleware's own timing cost can be read apart.
if (variant === 'bare-layer') app.use((_req, _res, next) => next());
if (variant === 'prom') app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true }));
app.get('/hello/:id', (_req, res) => {
  res.json({ hello: 'world' });
});
// A constant 1 KB document: bare, behind @wai's cache, behind apicache (each cached for 10 minutes).
const document: express.RequestHandler = (_req, res) => {
  res.json(ONE_KB_DOCUMENT);
};
if (variant === 'hit-wai') app.get('/doc', intelligentCache({ ttl: 600, store: createMemoryCacheStore() }), document);
else if (variant === 'hit-apicache') app.get('/doc', apicache.newInstance().middleware('10 minutes'), document);
else app.get('/doc', document);
const slow: express.RequestHandler = (_req, res) => {
  setTimeout(() => res.json({ report: 'slow', items: [1, 2, 3] }), 5);
};
if (variant === 'slow-cached') app.get('/slow', intelligentCache({ ttl: 600, store: createMemoryCacheStore() }), slow);
else app.get('/slow', slow);
// 5 ms of synchronous work (rendering, JSON over a large document…): the CPU-bound counterpart of /slow.
const busy: express.RequestHandler = (_req, res) => {
  const until = performance.now() + 5;
  while (performance.now() < until);
  res.json({ report: 'busy', items: [1, 2, 3] });
};
if (variant === 'busy-cached') app.get('/busy', intelligentCache({ ttl: 600, store: createMemoryCacheStore() }), busy);
else app.get('/busy', busy);

const server = app.listen(0, '127.0.0.1', () => {
  console.log(`PORT ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
