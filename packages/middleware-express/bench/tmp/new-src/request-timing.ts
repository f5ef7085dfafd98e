import { createRequestTracker, normalizeMethod, silentLogger, type Logger, type PerformanceMonitor } from '@wai/metrics-core';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { getDefaultMonitor } from './defaults.js';
import { getTrack, routeLabel, setTrack, watchRoute } from './request-state.js';

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
 */
export function enhancedRequestTiming(options: RequestTimingOptions = {}): RequestHandler {
  const tracker = createRequestTracker({ monitor: () => options.monitor ?? getDefaultMonitor(), logger: options.logger ?? silentLogger });
  const serverTiming = options.serverTiming ?? false;
  const onFinish = options.onFinish;
  // 'close' follows 'finish' on a completed response, and comes alone when the client went away first. One
  // listener shared by every request (it reads the request from `res.req`), so a request allocates no closure.
  const reportOnClose = function waiReportOnClose(this: Response): void {
    const req = this.req;
    const track = getTrack(req);
    if (!track) return;
    const method = normalizeMethod(req.method);
    const route = routeLabel(req);
    if (!this.writableFinished) {
      track.abort(route, method);
      return;
    }
    const duration = track.finish(route, method, this.statusCode);
    onFinish?.(route, method, this.statusCode, duration);
  };
  return function waiRequestTiming(req: Request, res: Response, next: NextFunction) {
    // Mounted twice (app-wide and again by createRouteMonitoring): report once, add only the extra hooks.
    const existing = getTrack(req);
    const track = existing ?? tracker.start();
    if (!existing) {
      setTrack(req, track);
      watchRoute(req);
    }
    if (serverTiming) {
      const writeHead = res.writeHead;
      res.writeHead = function writeHeadWithTiming(this: Response, ...args: unknown[]) {
        if (!this.headersSent) this.setHeader('Server-Timing', track.serverTiming());
        return (writeHead as (...rest: unknown[]) => Response).apply(this, args);
      } as Response['writeHead'];
    }
    if (!existing) {
      res.on('close', reportOnClose);
    } else if (onFinish) {
      // Mounted again (by createRouteMonitoring) for its onFinish: the first mount reports, this one only observes.
      res.on('close', () => {
        if (res.writableFinished) onFinish(routeLabel(req), normalizeMethod(req.method), res.statusCode, track.elapsed());
      });
    }
    next();
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
