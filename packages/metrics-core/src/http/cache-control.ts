import { headerValue } from './cache-key.js';
import type { HttpHeaders } from './http-types.js';

/** Parsed `Cache-Control` directives: lower-cased names; a value (quotes removed) or `true` when it has none. */
export type CacheDirectives = ReadonlyMap<string, string | true>;

const EMPTY: CacheDirectives = new Map();

/**
 * Parses `Cache-Control` (RFC 9111 §5.2: comma-separated `token [ "=" ( token / quoted-string ) ]`). A directive
 * named twice keeps its first occurrence, as RFC 9111 §4.2.1 allows; a quoted value may contain commas.
 */
export function parseCacheControl(value: string | undefined): CacheDirectives {
  if (!value) return EMPTY;
  const directives = new Map<string, string | true>();
  const pattern = /\s*([^\s=,]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*)))?\s*(?:,|$)/gy;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < value.length && (match = pattern.exec(value)) !== null) {
    const name = (match[1] as string).toLowerCase();
    const raw = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]?.trim();
    if (!directives.has(name)) directives.set(name, raw === undefined ? true : raw);
    if (match[0] === '') break;
  }
  return directives;
}

/** The `Cache-Control` directives of a header map (several field lines are one list). */
export function cacheControlOf(headers: HttpHeaders): CacheDirectives {
  return parseCacheControl(headerValue(headers, 'cache-control'));
}

/**
 * A delta-seconds directive (RFC 9111 §1.2.2: digits only): its value, `undefined` when absent, or `NaN` when it
 * is present but not a non-negative integer (callers treat that as "already stale", the safe reading).
 */
export function deltaSeconds(directives: CacheDirectives, name: string): number | undefined {
  const value = directives.get(name);
  if (value === undefined) return undefined;
  if (value === true || !/^\d+$/.test(value)) return Number.NaN;
  // RFC 9111 §1.2.2: values too large to represent count as 2^31 seconds.
  return Math.min(Number(value), 2_147_483_648);
}

/** Present as a name, with or without a value (`no-cache="set-cookie"` counts as `no-cache`: the safe reading). */
export function hasDirective(directives: CacheDirectives, name: string): boolean {
  return directives.has(name);
}
