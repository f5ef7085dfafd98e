import { clientAddressKey, createHttpPipeline, createRateLimiter, type PipelineRateLimit, type RateLimiter, type RateLimiterOptions } from '@wai/metrics-core/http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { getDefaultMonitor } from './defaults.js';
import { requestInfo, sendResponse } from './pipeline-io.js';
import { getTrack } from './request-state.js';

export interface AdaptiveRateLimitOptions extends Omit<RateLimiterOptions, 'monitor'> {
  /** Key of a request. @default the client address (`req.ip`, which follows Express's `trust proxy` setting) */
  keyGenerator?: (req: Request) => string;
  /** Receives every decision and supplies the load signal. @default the monitor set by `initializePerformanceSystem` */
  monitor?: RateLimiterOptions['monitor'];
  /**
   * Counter space: requests count only against others of the same scope, so limits that share one `store` (a
   * router-wide limit and a stricter one on a route, or several apps) count apart; a function gets the request
   * (e.g. `(req) => \`${req.method} ${req.route.path}\``, what the Fastify plugin uses for a route's own limit).
   * @default undefined (one space per client)
   */
  scope?: string | ((req: Request) => string);
}

export interface AdaptiveRateLimitMiddleware extends RequestHandler {
  readonly limiter: RateLimiter;
  close(): Promise<void>;
}

/**
 * Sliding-window rate limiting (`app.use('/api', adaptiveRateLimit({ max: 100, windowMs: 60_000 }))`), decided by
 * the @wai/metrics-core HTTP pipeline as the Fastify plugin's is: 429 with `Retry-After` and `RateLimit-*` headers
 * and a JSON body; with `adaptive`, the limit shrinks while the monitor reports stress and recovers gradually;
 * with `concurrency`, excess requests in flight get 503.
 */
export function adaptiveRateLimit(options: AdaptiveRateLimitOptions = {}): AdaptiveRateLimitMiddleware {
  const { keyGenerator, scope, ...rest } = options;
  const limiter = createRateLimiter({ ...rest, monitor: options.monitor ?? (() => getDefaultMonitor()) });
  const pipeline = createHttpPipeline({ rateLimiter: limiter });
  const keyOf = keyGenerator ?? ((req: Request) => clientAddressKey(req.ip));
  const fixedLimit: PipelineRateLimit = typeof scope === 'string' ? { scope } : {};
  const limitOf = typeof scope === 'function' ? (req: Request): PipelineRateLimit => ({ scope: scope(req) }) : () => fixedLimit;

  const middleware = async function waiAdaptiveRateLimit(req: Request, res: Response, next: NextFunction) {
    let action;
    try {
      action = await pipeline.begin(requestInfo(req), { cache: false, rateLimit: limitOf(req), clientKey: keyOf(req) });
    } catch (error) {
      next(error);
      return;
    }
    getTrack(req)?.mark('ratelimit');
    if (action.type === 'respond') {
      sendResponse(res, action.response);
      return;
    }
    for (const [name, value] of Object.entries(action.headers)) res.setHeader(name, value);
    if (action.release !== undefined) res.once('close', action.release);
    next();
  } as AdaptiveRateLimitMiddleware;
  Object.defineProperty(middleware, 'limiter', { value: limiter });
  Object.defineProperty(middleware, 'close', { value: () => limiter.close() });
  return middleware;
}
