import { createHash } from 'node:crypto';
import type { HttpHeaders } from './http-types.js';

/**
 * A canonical query string: pairs sorted by name then value, exact duplicates dropped, so `?b=2&a=1&a=1` and
 * `?a=1&b=2` share one cache entry. Accepts `a=1&b=2` or `?a=1&b=2`.
 */
export function normalizeQuery(query: string | undefined): string {
  if (!query) return '';
  const source = query.startsWith('?') ? query.slice(1) : query;
  if (source === '') return '';
  const seen = new Set<string>();
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of new URLSearchParams(source)) {
    const id = `${name}\u0000${value}`;
    if (seen.has(id)) continue;
    seen.add(id);
    pairs.push([name, value]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return new URLSearchParams(pairs).toString();
}

/** One request header's value as a single string (`undefined` and absent are the same). */
export function headerValue(headers: HttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/** Lower-cased header names from `Vary` values (comma-separated, possibly repeated); `*` kept as is. */
export function parseVary(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = typeof value === 'string' ? value : value.join(',');
  const names = new Set<string>();
  for (const part of joined.split(',')) {
    const name = part.trim().toLowerCase();
    if (name) names.add(name);
  }
  return [...names].sort();
}

export interface CacheKeyInput {
  /** `GET` and `HEAD` share entries (a HEAD is answered from the GET response). */
  method: string;
  /** Route label (template), kept readable at the front of the key. */
  route: string;
  /** The request path without the query. */
  path: string;
  /** The raw query string (with or without `?`). */
  query?: string;
  headers: HttpHeaders;
  /** Request headers whose values select a variant (configured `vary` option). */
  vary?: readonly string[];
}

const MAX_PLAIN_KEY = 200;

/**
 * The cache key of a request: `http:<METHOD>:<path>?<normalised query>` plus `#name=value` for each `vary`
 * header — readable and free to compute. Keys longer than 200 characters become
 * `http:<METHOD>:<route>:<digest>` (SHA-256, base64url, 128 bit), so a store never sees an unbounded key.
 */
export function createCacheKey(input: CacheKeyInput): string {
  const upper = input.method.toUpperCase();
  const method = upper === 'HEAD' ? 'GET' : upper;
  const query = normalizeQuery(input.query);
  let key = query === '' ? `http:${method}:${input.path}` : `http:${method}:${input.path}?${query}`;
  if (input.vary) for (const name of parseVary(input.vary)) key += `#${name}=${headerValue(input.headers, name) ?? ''}`;
  if (key.length <= MAX_PLAIN_KEY) return key;
  return `http:${method}:${input.route}:${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`;
}
