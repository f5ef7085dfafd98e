import { silentLogger, type Logger, type PerformanceMonitor } from '@wai/metrics-core';
import { createRequestTracker, normalizeMethod, subscribeResponseFinish, watchRequest, watchResponse, type RequestTrack } from '@wai/metrics-core/http';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { getDefaultMonitor } from './defaults.js';
import { getTrack, recordOf, routeLabel, watchRoute, watchRouteOn, type RequestReporter } from './request-state.js';

/** Defaults of `RequestTimingOptions` that are values (the README's table is checked against them). */
export const REQUEST_TIMING_DEFAULTS = { serverTiming: false } as const;

export interface RequestTimingOptions {
  /** Where requests are reported. @default the monitor set by `initializePerformanceSystem` */
  monitor?: PerformanceMonitor;
  /** Add a `Server-Timing` header (phases + total). @default false */
  serverTiming?: boolean;
  /** Called after each finished request with its label and duration (used by route profiling). */
  onFinish?: (route: string, method: string, statusCode: number, durationMs: number) => void;
  logger?: Logger;
}

/**
 * Times every request with a monotonic clock and reports it to the monitor under its route template
 * (`req.baseUrl + req.route.path`, `UNMATCHED` when none matched). Requests whose connection closes before the
 * response finished count as aborted; errors passed to `next(err)` count when `requestErrorTracking()` is mounted
 * after the routes (5xx responses count as errors either way).
 *
 * The end of a request comes from Node's `http.server.response.finish` diagnostics channel and aborts from one
 * `close` listener per connection (`watchRequest` in @wai/metrics-core), not from a listener on each response;
 * requests without a Node socket behind them (test doubles) fall back to the response's own events.
 */
export function enhancedRequestTiming(options: RequestTimingOptions = {}): RequestHandler {
  const timing = createTiming(options);
  const onFinish = options.onFinish;
  return function waiRequestTiming(req: Request, res: Response, next: NextFunction) {
    // Mounted twice (app-wide and again by createRouteMonitoring): report once, add only the extra hooks.
    const existing = getTrack(req);
    if (existing === undefined) {
      watchRoute(req);
      timing.start(req, res);
    } else {
      timing.addServerTiming(res, existing);
      // Mounted again (by createRouteMonitoring) for its onFinish: the first mount reports, this one only observes.
      if (onFinish) {
        res.on('close', () => {
          if (res.writableFinished) onFinish(routeLabel(req), normalizeMethod(req.method), res.statusCode, existing.elapsed());
        });
      }
    }
    next();
  };
}

/** What `instrumentApp` returns: undoes the instrumentation. */
export type Uninstrument = () => void;

/**
 * Times every request `app` handles, as `enhancedRequestTiming` does, but from the app's entry point rather than
 * from a middleware: a router layer costs Express more than the timing itself (A/B under autocannon, an empty
 * `app.use` layer alone cost about 5 % of bare Express 5's throughput). Order does not matter: requests are timed
 * from the moment the app receives them, before any middleware. `initializePerformanceSystem` uses this.
 */
export function instrumentApp(app: Express, options: RequestTimingOptions = {}): Uninstrument {
  const timing = createTiming(options);
  const target = app as unknown as { handle: AppHandle; request: object };
  // Express gives each request `app.request` as its prototype inside `handle`, after this wrapper runs.
  watchRouteOn(target.request);
  const handle = target.handle;
  const timed: AppHandle = function waiTimedHandle(this: unknown, req, res, callback) {
    timing.start(req, res);
    return handle.call(this, req, res, callback);
  };
  target.handle = timed;
  return () => {
    if (target.handle === timed) target.handle = handle;
  };
}

type AppHandle = (req: Request, res: Response, callback?: (error?: unknown) => void) => void;

interface Timing {
  /** Starts timing `req` and arranges its single report; nothing when it is already being timed. */
  start(req: Request, res: Response): void;
  addServerTiming(res: Response, track: RequestTrack): void;
}

function createTiming(options: RequestTimingOptions): Timing {
  const logger = options.logger ?? silentLogger;
  const tracker = createRequestTracker({ monitor: () => options.monitor ?? getDefaultMonitor(), logger });
  const serverTiming = options.serverTiming ?? REQUEST_TIMING_DEFAULTS.serverTiming;
  const onFinish = options.onFinish;
  // Neither a middleware nor an app has a lifecycle to release it in: subscribed on first use, held for the process.
  let subscribed = false;
  const reporter: RequestReporter = {
    // Runs inside Node's channel publish, where a throw would become an uncaught exception: never throw.
    finished(req, record, statusCode) {
      try {
        const route = routeLabel(req);
        const method = normalizeMethod(req.method);
        const duration = record.track?.finish(route, method, statusCode) ?? 0;
        onFinish?.(route, method, statusCode, duration);
      } catch (error) {
        logger.warn({ err: error }, '[wai:middleware-express] reporting a finished request failed');
      }
    },
    aborted(req, record) {
      record.track?.abort(routeLabel(req), normalizeMethod(req.method));
    },
  };
  const addServerTiming = (res: Response, track: RequestTrack): void => {
    if (!serverTiming) return;
    const writeHead = res.writeHead;
    res.writeHead = function writeHeadWithTiming(this: Response, ...args: unknown[]) {
      if (!this.headersSent) this.setHeader('Server-Timing', track.serverTiming());
      return (writeHead as (...rest: unknown[]) => Response).apply(this, args);
    } as Response['writeHead'];
  };
  return {
    start(req, res) {
      const record = recordOf(req);
      // Already timed (an app mounted inside itself, or instrumented twice): the first start reports.
      if (record.track !== undefined) return;
      const track = tracker.start();
      record.track = track;
      record.reporter = reporter;
      if (!subscribed) {
        subscribed = true;
        subscribeResponseFinish();
      }
      if (!watchRequest(req, record)) watchResponse(res, record);
      addServerTiming(res, track);
    },
    addServerTiming,
  };
}

/**
 * Error middleware that records the thrown error on the request's timing, then passes it on. Mount it after
 * your routes and before your own error handler: `app.use(requestErrorTracking())`.
 */
export function requestErrorTracking(): ErrorRequestHandler {
  return function waiRequestErrorTracking(error: unknown, req: Request, _res: Response, next: NextFunction) {
    getTrack(req)?.fail(error);
    next(error);
  };
}
