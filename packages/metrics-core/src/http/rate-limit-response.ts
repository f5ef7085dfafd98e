import type { RateLimitDecision } from '../contracts/rate-limit.js';

/** The JSON body of a 429 / 503 answer (the same `{ error: { code, message } }` shape as every @wai error). */
export interface RateLimitErrorBody {
  error: { code: 'E_RATE_LIMITED' | 'E_OVERLOADED'; message: string; retryAfterSeconds: number };
}

/** Whole seconds until the window resets, at least 1 (`Retry-After`, RFC 9110 §10.2.3). */
export function retryAfterSeconds(resetInMs: number): number {
  return Math.max(1, Math.ceil(resetInMs / 1000));
}

/**
 * Headers for a decision: `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` (seconds), after the
 * IETF httpapi draft "RateLimit header fields for HTTP", plus `Retry-After` on refusals.
 */
export function rateLimitHeaders(decision: RateLimitDecision, retryAfterOverride?: number): Record<string, string> {
  const headers: Record<string, string> = {};
  if (decision.reason !== 'shed') {
    headers['RateLimit-Limit'] = String(decision.limit);
    headers['RateLimit-Remaining'] = String(decision.remaining);
    headers['RateLimit-Reset'] = String(Math.max(0, Math.ceil(decision.resetInMs / 1000)));
  }
  if (!decision.allowed) headers['Retry-After'] = String(retryAfterOverride ?? retryAfterSeconds(decision.resetInMs));
  return headers;
}

export function rateLimitBody(decision: RateLimitDecision, retryAfter: number): RateLimitErrorBody {
  return decision.reason === 'shed'
    ? { error: { code: 'E_OVERLOADED', message: `[wai:middleware] The server is at capacity; retry after ${retryAfter} s.`, retryAfterSeconds: retryAfter } }
    : { error: { code: 'E_RATE_LIMITED', message: `[wai:middleware] Too many requests (limit ${decision.limit}); retry after ${retryAfter} s.`, retryAfterSeconds: retryAfter } };
}
