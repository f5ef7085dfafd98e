import { headerValue } from './cache-key.js';
import type { ResponseCacheDecision } from './cacheability.js';
import type { ResponseFreshness } from './freshness.js';
import type { HttpHeaders, HttpRequestInfo } from './http-types.js';

/** A response as stored in a `CacheStore` (plain JSON, so Redis and SQL stores can hold it). */
export interface StoredHttpResponse {
  v: 2;
  status: number;
  headers: Record<string, string | string[]>;
  /** Body bytes, base64. */
  body: string;
  etag: string;
  /** `etag` was made here from the body: the origin does not know it, so it never validates with it. */
  etagGenerated?: boolean;
  storedAt: number;
  /** Age the response already had when stored (upstream `Age`, or its `Date` in the past). */
  initialAgeMs: number;
  /** Freshness lifetime (ms), compared with the current age. */
  ttlMs: number;
  staleWhileRevalidateMs: number;
  staleIfErrorMs: number;
  /** Request headers named in the response's `Vary`, and the values the stored response was made for. */
  vary: string[];
  varyValues: Array<string | null>;
  /** Route label of the request that produced it, so hits answered before routing are labelled alike. */
  route?: string;
}

// Hop-by-hop and per-response headers (RFC 9110 §7.6.1, RFC 9111 §3.1) plus the ones we recompute per answer.
export const NOT_STORED = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding',
  'upgrade', 'content-length', 'set-cookie', 'age', 'x-cache', 'surrogate-control', 'server-timing', 'retry-after',
  'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy',
]);
// Stores that hand back the same object on every hit (the memory store) then decode the body once.
const decodedBodies = new WeakMap<StoredHttpResponse, Buffer>();

export function bodyOf(entry: StoredHttpResponse): Buffer {
  let body = decodedBodies.get(entry);
  if (!body) {
    body = Buffer.from(entry.body, 'base64');
    decodedBodies.set(entry, body);
  }
  return body;
}

/** Header names a response's `Connection` field marks as hop-by-hop (RFC 9110 §7.6.1). */
function connectionOptions(headers: HttpHeaders): Set<string> {
  const value = headerValue(headers, 'connection');
  return new Set(value ? value.split(',').map((name) => name.trim().toLowerCase()) : []);
}

/** The headers kept with a stored response: no hop-by-hop or per-answer fields; a `Date` when the app set none. */
export function storedHeaders(headers: HttpHeaders, now: number): Record<string, string | string[]> {
  const hopByHop = connectionOptions(headers);
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || NOT_STORED.has(lower) || hopByHop.has(lower)) continue;
    kept[lower] = Array.isArray(value) ? [...(value as string[])] : String(value);
  }
  // The origin's Date travels with the response (RFC 9110 §6.6.1); one made here when the app set none.
  kept.date ??= new Date(now).toUTCString();
  return kept;
}

/** A storable response as the store keeps it. */
export function createStoredResponse(
  request: Pick<HttpRequestInfo, 'headers' | 'route'>,
  response: { status: number; headers: HttpHeaders; body: Buffer },
  decision: Pick<ResponseCacheDecision, 'vary'> & { freshness: ResponseFreshness },
  etag: string,
  now: number,
): StoredHttpResponse {
  const { freshness } = decision;
  const generated = etag !== '' && headerValue(response.headers, 'etag') === undefined;
  return {
    ...(generated ? { etagGenerated: true } : {}),
    v: 2,
    status: response.status,
    headers: storedHeaders(response.headers, now),
    body: response.body.toString('base64'),
    etag,
    storedAt: now,
    initialAgeMs: freshness.initialAgeMs,
    ttlMs: freshness.lifetimeMs,
    staleWhileRevalidateMs: freshness.staleWhileRevalidateMs,
    staleIfErrorMs: freshness.staleIfErrorMs,
    vary: decision.vary,
    varyValues: decision.vary.map((name) => headerValue(request.headers, name) ?? null),
    route: request.route,
  };
}

// Headers a 304 must not change in the stored response (RFC 9111 §3.2: the stored body's own framing).
const NOT_UPDATED = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'content-range']);

/**
 * The stored response's header fields updated with those of a 304 that validated it (RFC 9111 §4.3.4); `Date`
 * and `Age` come from the 304 (or now), so freshness restarts from the validation.
 */
export function freshenedHeaders(entry: StoredHttpResponse, notModified: HttpHeaders, now: number): Record<string, string | string[]> {
  const merged: Record<string, string | string[]> = { ...entry.headers };
  delete merged.date;
  for (const [name, value] of Object.entries(notModified)) {
    const lower = name.toLowerCase();
    if (value === undefined || NOT_UPDATED.has(lower)) continue;
    merged[lower] = Array.isArray(value) ? [...(value as string[])] : String(value);
  }
  merged.date ??= new Date(now).toUTCString();
  return merged;
}

/** A stored response's validator for a conditional request: its ETag, else its Last-Modified. */
export function validatorOf(entry: StoredHttpResponse): Record<string, string> | undefined {
  if (entry.etag && !entry.etagGenerated) return { 'if-none-match': entry.etag };
  const lastModified = headerValue(entry.headers, 'last-modified');
  return lastModified === undefined ? undefined : { 'if-modified-since': lastModified };
}
