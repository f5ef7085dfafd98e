// One Fastify server per variant for floor.mjs (run `pnpm build` first): `WAI_MODE=<variant> node server.mjs`.
// The variants bracket what any timing plugin for Fastify must pay: `emptyhook` is one `onRequest` hook that does
// nothing; `minimal` is the least a hook-based plugin can do (a start time in the hook, the end from Node's
// finish channel, one `trackEndpoint`); `nohook` takes the start from Node's request-start channel and the label
// from a wrapped handler instead (no Fastify hook, but no label for requests that never reach a handler).
import { subscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { createPerformanceMonitor } from '@wai/metrics-core';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { waiPerformance } from '../../dist/index.js';

// `bareready`, `emptyplugin` and `wainoawait` isolate a startup effect (see IDLE in floor.mjs): bare Fastify
// that awaits `app.ready()` before listening, bare Fastify with an awaited plugin that does nothing, and @wai
// registered without awaiting `register`.
const mode = process.env.WAI_MODE ?? 'bare';
const app = Fastify({ logger: false });
const START = Symbol('start');
const LABEL = Symbol('label');
const IN_FLIGHT = Symbol('inFlight');
if (mode === 'wai') await app.register(waiPerformance, { monitor: createPerformanceMonitor({ autoStart: true }) });
if (mode === 'emptyplugin') await app.register(fp((_instance, _options, done) => done()));
if (mode === 'wainoawait') app.register(waiPerformance, { monitor: createPerformanceMonitor({ autoStart: true }) });
if (mode === 'emptyhook') app.addHook('onRequest', (_request, _reply, next) => next());
if (mode === 'minimal') {
  const monitor = createPerformanceMonitor({ autoStart: true });
  app.decorateRequest(START, 0);
  app.addHook('onRequest', (request, _reply, next) => {
    request[START] = performance.now();
    request.raw.socket[IN_FLIGHT] = request;
    next();
  });
  subscribe('http.server.response.finish', ({ request, response, socket }) => {
    const started = socket[IN_FLIGHT];
    if (started === undefined || started.raw !== request) return;
    socket[IN_FLIGHT] = undefined;
    monitor.trackEndpoint('/hello/:id', performance.now() - started[START], response.statusCode, 'GET');
  });
}
if (mode === 'nohook') {
  const monitor = createPerformanceMonitor({ autoStart: true });
  const server = app.server;
  subscribe('http.server.request.start', ({ request, server: from }) => {
    if (from !== server) return;
    request[START] = performance.now();
    request[LABEL] = undefined;
  });
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    const label = route.url;
    route.handler = function (request, reply) {
      request.raw[LABEL] = label;
      return handler.call(this, request, reply);
    };
  });
  subscribe('http.server.response.finish', ({ request, response, server: from }) => {
    if (from === server) monitor.trackEndpoint(request[LABEL] ?? '__unmatched__', performance.now() - request[START], response.statusCode, 'GET');
  });
}
app.get('/hello/:id', async () => ({ hello: 'world' }));
if (mode === 'bareready') await app.ready();
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`PORT ${app.server.address().port}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
