import type { HttpRequestInfo, PipelineResponse } from '@wai/metrics-core/http';
import type { Request, Response } from 'express';
import { currentLabel } from './request-state.js';

/** The pipeline's view of an Express request (the full URL: a router-mounted middleware sees a trimmed `req.url`). */
export function requestInfo(req: Request): HttpRequestInfo {
  const url = req.originalUrl;
  const queryStart = url.indexOf('?');
  return {
    method: req.method,
    path: queryStart === -1 ? url : url.slice(0, queryStart),
    query: queryStart === -1 ? '' : url.slice(queryStart + 1),
    route: currentLabel(req),
    headers: req.headers,
  };
}

/** Writes a response the pipeline decided (a stored one, a 304, a 429 / 503) as is. */
export function sendResponse(res: Response, response: PipelineResponse): void {
  res.statusCode = response.status;
  for (const name in response.headers) res.setHeader(name, response.headers[name] as string | string[]);
  res.end(response.body);
}
