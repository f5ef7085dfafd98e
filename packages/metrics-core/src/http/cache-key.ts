import { createHash } from 'node:crypto';
import type { HttpHeaders } from './http-types.js';

/**
 * A canonical query string: `name=value` pairs ordered by their raw name (a stable sort, so repeated names keep
 * their order), empty pairs dropped, nothing decoded and nothing else dropped. `?b=2&a=1` and `?a=1&b=2` share one
 * entry; `?q=%FE` and `?q=%FF` (invalid UTF-8 that decoding would turn into the same U+FFFD) and `?a=4&a=4` vs
 * `?a=4` (an app may reject repeats) stay apart. Accepts `a=1&b=2` or `?a=1&b=2`.
 */
export function normalizeQuery(query: string | undefined): string {
  if (!query) return '';
  const source = query.startsWith('?') ? query.slice(1) : query;
  if (source === '') return '';
  const pairs = source.split('&').filter((pair) => pair !== '');
  if (pairs.length < 2) return pairs[0] ?? '';
  const nameOf = (pair: string) => {
    const equals = pair.indexOf('=');
    return equals === -1 ? pair : pair.slice(0, equals);
  };
  return pairs
    .map((pair, index) => ({ pair, name: nameOf(pair), index }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index))
    .map((entry) => entry.pair)
    .join('&');
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
  query?: string | undefined;
  headers: HttpHeaders;
  /** Request headers whose values select a variant (configured `vary` option). */
  vary?: readonly string[];
  /** Include the request's `Host` (a route may answer per hostname). @default true */
  host?: boolean;
}

const MAX_PLAIN_KEY = 200;

/** The request's host, lower-cased, as the cache key and the invalidation tag use it (empty when absent). */
export function requestHost(headers: HttpHeaders): string {
  return (headerValue(headers, 'host') ?? '').toLowerCase();
}

/**
 * The tag every stored response of `host` + `path` carries, whatever its query or variant: an unsafe request to
 * that URL invalidates it (RFC 9111 §4.4).
 */
export function urlTag(host: string, path: string): string {
  return `url:${host}${path}`;
}

/**
 * The cache key of a request: `http:<METHOD>:<host><path>?<normalised query>` (the host unless `host: false`)
 * plus `#name=value` for each `vary` header — readable and free to compute. Keys longer than 200 characters become
 * `http:<METHOD>:<route>:<digest>` (SHA-256, base64url, 128 bit), so a store never sees an unbounded key.
 */
export function createCacheKey(input: CacheKeyInput): string {
  const upper = input.method.toUpperCase();
  const method = upper === 'HEAD' ? 'GET' : upper;
  const query = normalizeQuery(input.query);
  const target = input.host === false ? input.path : requestHost(input.headers) + input.path;
  let key = query === '' ? `http:${method}:${target}` : `http:${method}:${target}?${query}`;
  // Most routes configure no `vary`: skip parsing an empty list on every lookup.
  if (input.vary !== undefined && input.vary.length > 0) for (const name of parseVary(input.vary)) key += `#${name}=${headerValue(input.headers, name) ?? ''}`;
  if (key.length <= MAX_PLAIN_KEY) return key;
  return `http:${method}:${input.route}:${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`;
}
