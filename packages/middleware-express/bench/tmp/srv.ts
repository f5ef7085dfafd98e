import type { AddressInfo } from 'node:net';
import { createPerformanceMonitor, createRequestTracker } from '@wai/metrics-core';
import express from 'express';
import { enhancedRequestTiming } from '../../src/index.js';
import { enhancedRequestTiming as enhancedNew } from './new-src/index.js';
import { answerCpuProbes } from '../cpu-probe.js';
answerCpuProbes();
const variant = process.argv[2] ?? 'bare';
const app = express();
app.disable('x-powered-by');
const noopClose = function (this: unknown) {};
if (variant === 'wai') app.use(enhancedRequestTiming({ monitor: createPerformanceMonitor({ autoStart: true }) }));
if (variant === 'wai-new') app.use(enhancedNew({ monitor: createPerformanceMonitor({ autoStart: true }) }));
if (variant === 'noop') app.use((_req, _res, next) => next());
if (variant === 'listener') app.use((_req, res, next) => { res.on('close', noopClose); next(); });
if (variant === 'tracker' || variant === 'tracker-nomon') {
  const monitor = variant === 'tracker' ? createPerformanceMonitor({ autoStart: true }) : undefined;
  const tracker = createRequestTracker({ monitor });
  const K = Symbol('k');
  const close = function (this: any) { this.req[K].finish('/hello/:id', 'GET', this.statusCode); };
  app.use((req: any, res, next) => { req[K] = tracker.start(); res.on('close', close); next(); });
}
if (variant === 'sampler') { createPerformanceMonitor({ autoStart: true }); }
app.get('/hello/:id', (_req, res) => { res.json({ hello: 'world' }); });
const server = app.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
