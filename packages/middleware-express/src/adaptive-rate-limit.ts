import {
  clientAddressKey,
  createRateLimiter,
  REVALIDATION_HEADER,
  revalidationToken,
  type RateLimiter,
  type RateLimiterOptions,
} from '@wai/metrics-core/http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { getDefaultMonitor } from './defaults.js';
import { currentLabel, getTrack } from './request-state.js';

export interface AdaptiveRateLimitOptions extends Omit<RateLimiterOptions, 'monitor'> {
  /** Key of a request. @default the client address (`req.ip`, which follows Express's `trust proxy` setting) */
  keyGenerator?: (req: Request) => string;
  /** Receives every decision and supplies the load signal. @default the monitor set by `initializePerformanceSystem` */
  monitor?: RateLimiterOptions['monitor'];
}

export interface AdaptiveRateLimitMiddleware extends RequestHandler {
  readonly limiter: RateLimiter;
  close(): Promise<void>;
}

/**
 * Sliding-window rate limiting (`app.use('/api', adaptiveRateLimit({ max: 100, windowMs: 60_000 }))`): 429 with
 * `Retry-After` and `RateLimit-*` headers and a JSON body; with `adaptive`, the limit shrinks while the monitor
 * reports stress and recovers gradually; with `concurrency`, excess requests in flight get 503.
 */
export function adaptiveRateLimit(options: AdaptiveRateLimitOptions = {}): AdaptiveRateLimitMiddleware {
  const { keyGenerator, ...rest } = options;
  const limiter = createRateLimiter({ ...rest, monitor: options.monitor ?? (() => getDefaultMonitor()) });
  const keyOf = keyGenerator ?? ((req: Request) => clientAddressKey(req.ip));

  const middleware = async function waiAdaptiveRateLimit(req: Request, res: Response, next: NextFunction) {
    if (req.headers[REVALIDATION_HEADER] === revalidationToken()) {
      next();
      return;
    }
    let outcome;
    try {
      outcome = await limiter.check({ key: keyOf(req), path: req.baseUrl + req.path, route: currentLabel(req) });
    } catch (error) {
      next(error);
      return;
    }
    getTrack(req)?.mark('ratelimit');
    for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
    if (!outcome.allowed) {
      res.status(outcome.statusCode ?? 429).json(outcome.body);
      return;
    }
    if (outcome.release !== undefined) res.once('close', outcome.release);
    next();
  } as AdaptiveRateLimitMiddleware;
  Object.defineProperty(middleware, 'limiter', { value: limiter });
  Object.defineProperty(middleware, 'close', { value: () => limiter.close() });
  return middleware;
}
