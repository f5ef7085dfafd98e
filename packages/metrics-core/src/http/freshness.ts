import { deltaSeconds, hasDirective, type CacheDirectives } from './cache-control.js';
import { headerValue } from './cache-key.js';
import type { HttpHeaders } from './http-types.js';

/**
 * How usable a stored response is now: `fresh` (serve it), `stale` (serve it while one background revalidation
 * runs, RFC 5861 stale-while-revalidate), `stale-if-error` (run the handler; serve it only if the handler fails,
 * RFC 5861 §4), `expired` (a miss).
 */
export type Freshness = 'fresh' | 'stale' | 'stale-if-error' | 'expired';

export interface FreshnessInfo {
  /** Epoch ms when the response was stored. */
  storedAt: number;
  /** Age (ms) the response already had when it was stored (RFC 9111 §4.2.3 corrected_initial_age). */
  initialAgeMs?: number;
  /** Freshness lifetime (ms, RFC 9111 §4.2.1). */
  ttlMs: number;
  /** How long past its lifetime it may be served while one revalidation runs (ms). */
  staleWhileRevalidateMs: number;
  /** How long past its lifetime it may be served when the handler fails (ms). */
  staleIfErrorMs?: number;
}

/** Route-level freshness intent: applies only where the origin states none, unless `override`. */
export interface FreshnessDefaults {
  /**
   * Lifetime (ms) when the response carries no `s-maxage`, `max-age` or `Expires`; without it such a response
   * only gets the `Last-Modified` heuristic (RFC 9111 §4.2.2), or none.
   */
  ttlMs: number | undefined;
  /** Stale-while-revalidate allowance (ms) granted together with `ttlMs`. */
  staleWhileRevalidateMs: number;
  /** The route's values replace the origin's `s-maxage` / `max-age` / `Expires` / `stale-*` (an operator choice). */
  override: boolean;
}

export interface ResponseFreshness {
  /** The origin stated a lifetime (`s-maxage`, `max-age` or `Expires`, valid or not). */
  explicit: boolean;
  lifetimeMs: number;
  initialAgeMs: number;
  staleWhileRevalidateMs: number;
  staleIfErrorMs: number;
}

/** An HTTP-date (RFC 9110 §5.6.7) in epoch ms, or NaN when malformed; `Date.parse` alone accepts far too much. */
export function parseHttpDate(value: string | undefined): number {
  if (value === undefined) return Number.NaN;
  const trimmed = value.trim();
  // IMF-fixdate, obsolete RFC 850 and asctime forms; anything else (e.g. "0", "-1", ISO dates) is invalid.
  const imf = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
  const rfc850 = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
  const asctime = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;
  if (!imf.test(trimmed) && !rfc850.test(trimmed) && !asctime.test(trimmed)) return Number.NaN;
  return Date.parse(asctime.test(trimmed) ? `${trimmed} GMT` : trimmed);
}

/**
 * Freshness of a response about to be stored (RFC 9111 §4.2): lifetime from `s-maxage` (shared caches), then
 * `max-age`, then `Expires − Date` (a malformed `Expires` means already expired, §5.3); the route's TTL only
 * when the origin states none (or when `override`), else the `Last-Modified` heuristic. Stale allowances: the origin's `stale-while-revalidate` /
 * `stale-if-error` (RFC 5861), else the route's `staleWhileRevalidate` together with its TTL; none at all under
 * `must-revalidate`, `proxy-revalidate` or `s-maxage` (which implies proxy-revalidate, RFC 9111 §5.2.2.10).
 */
export function responseFreshness(headers: HttpHeaders, directives: CacheDirectives, now: number, defaults: FreshnessDefaults): ResponseFreshness {
  const date = parseHttpDate(headerValue(headers, 'date'));
  const sMaxAge = deltaSeconds(directives, 's-maxage');
  const maxAge = deltaSeconds(directives, 'max-age');
  const expires = headerValue(headers, 'expires');
  const explicit = sMaxAge !== undefined || maxAge !== undefined || expires !== undefined;
  let lifetimeMs: number;
  let staleWhileRevalidateMs = 0;
  let staleIfErrorMs = 0;
  if (defaults.ttlMs !== undefined && (!explicit || defaults.override)) {
    lifetimeMs = defaults.ttlMs;
    staleWhileRevalidateMs = defaults.staleWhileRevalidateMs;
  } else if (!explicit) lifetimeMs = heuristicLifetime(headers, date, now);
  else if (sMaxAge !== undefined) lifetimeMs = secondsToMs(sMaxAge);
  else if (maxAge !== undefined) lifetimeMs = secondsToMs(maxAge);
  else {
    const expiresAt = parseHttpDate(expires);
    lifetimeMs = Number.isNaN(expiresAt) ? 0 : Math.max(0, expiresAt - (Number.isNaN(date) ? now : date));
  }
  const originSwr = deltaSeconds(directives, 'stale-while-revalidate');
  const originSie = deltaSeconds(directives, 'stale-if-error');
  if (!defaults.override || !explicit) {
    if (originSwr !== undefined) staleWhileRevalidateMs = secondsToMs(originSwr);
    if (originSie !== undefined) staleIfErrorMs = secondsToMs(originSie);
  }
  if (hasDirective(directives, 'must-revalidate') || hasDirective(directives, 'proxy-revalidate') || sMaxAge !== undefined) {
    staleWhileRevalidateMs = 0;
    staleIfErrorMs = 0;
  }
  return { explicit, lifetimeMs, initialAgeMs: initialAge(headers, date, now), staleWhileRevalidateMs, staleIfErrorMs };
}

/**
 * RFC 9111 §4.2.2's suggested heuristic: 10 % of the time since `Last-Modified` (as in http-cache-semantics and
 * most caches); no `Last-Modified`, no heuristic freshness.
 */
function heuristicLifetime(headers: HttpHeaders, date: number, now: number): number {
  const lastModified = parseHttpDate(headerValue(headers, 'last-modified'));
  const reference = Number.isNaN(date) ? now : date;
  return Number.isNaN(lastModified) || lastModified >= reference ? 0 : Math.floor((reference - lastModified) / 10);
}

function secondsToMs(seconds: number): number {
  return Number.isNaN(seconds) ? 0 : seconds * 1000;
}

/**
 * RFC 9111 §4.2.3 corrected_initial_age, with the response delay taken as zero (the response is judged as it
 * arrives): max(apparent age from `Date`, upstream `Age`).
 */
function initialAge(headers: HttpHeaders, date: number, now: number): number {
  const ageHeader = headerValue(headers, 'age');
  // RFC 9111 §5.1: Age is one non-negative integer; anything else (several, negative, fractional, with
  // parameters) is unusable, and the safe reading of an unusable age is "stale".
  const age = ageHeader === undefined ? 0 : /^\s*\d+\s*$/.test(ageHeader) ? Number(ageHeader) * 1000 : Number.POSITIVE_INFINITY;
  const apparent = Number.isNaN(date) ? 0 : Math.max(0, now - date);
  return Math.max(age, apparent);
}

/** Current age (ms) of a stored response: its initial age plus the time it has been stored (RFC 9111 §4.2.3). */
export function currentAgeMs(entry: Pick<FreshnessInfo, 'storedAt' | 'initialAgeMs'>, now: number): number {
  return (entry.initialAgeMs ?? 0) + Math.max(0, now - entry.storedAt);
}

/** Freshness of a stored response now, compared by current age (so an upstream `Age` counts). */
export function freshnessOf(entry: FreshnessInfo, now: number): Freshness {
  const age = currentAgeMs(entry, now);
  if (age < entry.ttlMs) return 'fresh';
  if (age < entry.ttlMs + entry.staleWhileRevalidateMs) return 'stale';
  if (age < entry.ttlMs + (entry.staleIfErrorMs ?? 0)) return 'stale-if-error';
  return 'expired';
}

/** The `Age` header value (RFC 9111 §5.1) for a stored response: whole seconds, never negative. */
export function ageSeconds(entry: Pick<FreshnessInfo, 'storedAt' | 'initialAgeMs'>, now: number): number {
  return Math.floor(currentAgeMs(entry, now) / 1000);
}
