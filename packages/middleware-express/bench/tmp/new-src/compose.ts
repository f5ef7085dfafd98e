import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Runs middleware in order as one handler (what `app.use([a, b])` does, usable anywhere one handler fits). */
export function composeMiddleware(handlers: readonly RequestHandler[]): RequestHandler {
  return function waiComposed(req: Request, res: Response, next: NextFunction) {
    let index = 0;
    const step = (error?: unknown) => {
      if (error !== undefined && error !== null) {
        next(error);
        return;
      }
      const handler = handlers[index++];
      if (!handler) {
        next();
        return;
      }
      try {
        const result = handler(req, res, step) as unknown;
        if (result instanceof Promise) result.catch(step);
      } catch (thrown) {
        step(thrown);
      }
    };
    step();
  };
}
