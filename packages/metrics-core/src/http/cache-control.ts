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
  for (const part of splitList(value)) {
    const equals = part.indexOf('=');
    const name = (equals === -1 ? part : part.slice(0, equals)).toLowerCase();
    // No whitespace around "=" (RFC 9110 §5.6.6 parameters): `max-age = 5` keeps a value that fails every parse.
    if (name.trim() !== name || name === '') {
      if (name.trim() !== '' && !directives.has(name.trim())) directives.set(name.trim(), ' ');
      continue;
    }
    let raw: string | true = true;
    if (equals !== -1) {
      raw = part.slice(equals + 1);
      if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    if (!directives.has(name)) directives.set(name, raw);
  }
  return directives;
}

/** Splits a comma-separated field value, keeping commas inside quoted strings; parts are trimmed, empty ones dropped. */
function splitList(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < value.length; index++) {
    const char = value[index] as string;
    if (quoted && char === '\\') {
      current += char + (value[index + 1] ?? '');
      index++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === ',' && !quoted) {
      if (current.trim() !== '') parts.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
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
