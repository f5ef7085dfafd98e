import type { ConformanceCase } from './conformance.js';

const HIT = { 'x-cache': 'HIT' };
const MISS = { 'x-cache': 'MISS' };
const LIMITED_BODY = (limit: number, retryAfter: number) =>
  JSON.stringify({ error: { code: 'E_RATE_LIMITED', message: `[wai:middleware] Too many requests (limit ${limit}); retry after ${retryAfter} s.`, retryAfterSeconds: retryAfter } });

/**
 * One table, run against every adapter (`runConformanceCase`): the response-cache behaviour users see over HTTP,
 * including each RFC 9111 defect fixed in the pipeline. Each case gets a fresh server and store.
 */
export const HTTP_CONFORMANCE_CASES: readonly ConformanceCase[] = [
  {
    name: 'MISS then HIT with the same body, an Age and the stored content-length',
    steps: [
      { path: '/a', origin: { body: 'hello' }, expect: { status: 200, ran: true, body: 'hello', headers: MISS } },
      { advance: 3000, path: '/a', expect: { status: 200, ran: false, body: 'hello', headers: { ...HIT, age: '3', 'content-length': '5' } } },
    ],
  },
  {
    name: 'the route ttl applies only where the origin states no freshness',
    steps: [
      { path: '/a', origin: { headers: { 'cache-control': 'max-age=600' } }, expect: { status: 200, ran: true } },
      { advance: 120_000, path: '/a', expect: { status: 200, ran: false, headers: HIT } },
      { path: '/b', origin: { headers: { 'cache-control': 'max-age=10' } }, expect: { status: 200, ran: true } },
      { advance: 11_000, path: '/b', expect: { status: 200, ran: true } },
    ],
  },
  {
    name: 'overrideOrigin lets the route ttl replace the origin max-age',
    options: { ttl: 5, overrideOrigin: true },
    steps: [
      { path: '/a', origin: { headers: { 'cache-control': 'max-age=600' } }, expect: { status: 200, ran: true } },
      { advance: 6000, path: '/a', expect: { status: 200, ran: true } },
    ],
  },
  {
    name: 'stale-if-error is not freshness: a healthy origin is asked once the response is stale',
    steps: [
      { path: '/a', origin: { body: 'v1', headers: { 'cache-control': 'max-age=1, stale-if-error=60' } }, expect: { status: 200, ran: true } },
      { advance: 2500, path: '/a', origin: { body: 'v2', headers: { 'cache-control': 'max-age=1, stale-if-error=60' } }, expect: { status: 200, ran: true, body: 'v2' } },
      { advance: 2500, path: '/a', origin: { status: 503, body: 'down' }, expect: { status: 200, ran: true, body: 'v2', headers: { 'x-cache': 'STALE' } } },
    ],
  },
  {
    name: 'origin must-revalidate beats the route staleWhileRevalidate',
    options: { staleWhileRevalidate: 60 },
    steps: [
      { path: '/a', origin: { headers: { 'cache-control': 'max-age=1, must-revalidate' } }, expect: { status: 200, ran: true } },
      { advance: 2000, path: '/a', expect: { status: 200, ran: true } },
    ],
  },
  {
    name: 'origin s-maxage beats the route staleWhileRevalidate and max-age',
    options: { staleWhileRevalidate: 60 },
    steps: [
      { path: '/a', origin: { headers: { 'cache-control': 'max-age=600, s-maxage=1' } }, expect: { status: 200, ran: true } },
      { advance: 2000, path: '/a', expect: { status: 200, ran: true } },
    ],
  },
  {
    name: "the origin's own stale-while-revalidate wins over the route's",
    options: { staleWhileRevalidate: 60 },
    steps: [
      { path: '/a', origin: { headers: { 'cache-control': 'max-age=1, stale-while-revalidate=4' } }, expect: { status: 200, ran: true } },
      { advance: 6000, path: '/a', expect: { status: 200, ran: true } },
    ],
  },
  {
    name: 'no-store, no-cache and private responses are not served from the cache',
    steps: [
      { path: '/s', origin: { headers: { 'cache-control': 'no-store' } }, expect: { status: 200, ran: true } },
      { path: '/s', expect: { status: 200, ran: true } },
      { path: '/c', origin: { headers: { 'cache-control': 'no-cache' } }, expect: { status: 200, ran: true } },
      { path: '/c', expect: { status: 200, ran: true } },
      { path: '/p', origin: { headers: { 'cache-control': 'private, max-age=600' } }, expect: { status: 200, ran: true } },
      { path: '/p', expect: { status: 200, ran: true } },
    ],
  },
  {
    name: 'a malformed Expires means already expired',
    steps: [
      { path: '/a', origin: { headers: { expires: 'not a date' } }, expect: { status: 200, ran: true } },
      { path: '/a', expect: { status: 200, ran: true } },
    ],
  },
  {
    name: 'an upstream Age is kept and grows; the response expires by it',
    steps: [
      { path: '/a', origin: { headers: { 'cache-control': 'max-age=3600', age: '3000' } }, expect: { status: 200, ran: true } },
      { advance: 2000, path: '/a', expect: { status: 200, ran: false, headers: { ...HIT, age: '3002' } } },
      { advance: 600_000, path: '/a', expect: { status: 200, ran: true } },
    ],
  },
  {
    name: 'a weak ETag is kept and If-None-Match: W/"v1" gets 304 from the cache',
    steps: [
      { path: '/a', origin: { headers: { etag: 'W/"v1"' } }, expect: { status: 200, ran: true, headers: { etag: 'W/"v1"' } } },
      { path: '/a', headers: { 'if-none-match': 'W/"v1"' }, expect: { status: 304, ran: false, body: '', headers: { etag: 'W/"v1"' } } },
    ],
  },
  {
    name: 'a 2xx without an ETag gets one; a matching If-None-Match on a miss is answered 304',
    steps: [
      { path: '/a', headers: { 'if-none-match': '"no-such-tag"' }, expect: { status: 200, ran: true, headers: { etag: /"/ } } },
      { path: '/a', headers: { 'if-none-match': '*' }, expect: { status: 304, ran: false } },
    ],
  },
  {
    name: 'If-None-Match: * on a stored 404 is not a 304',
    steps: [
      { path: '/gone', origin: { status: 404, body: 'nope' }, expect: { status: 404, ran: true } },
      { path: '/gone', headers: { 'if-none-match': '*' }, expect: { status: 404, ran: false, body: 'nope' } },
    ],
  },
  {
    name: 'the Host is part of the key',
    steps: [
      { path: '/a', headers: { host: 'one.example' }, origin: { body: 'for one' }, expect: { status: 200, ran: true } },
      { path: '/a', headers: { host: 'two.example' }, origin: { body: 'for two' }, expect: { status: 200, ran: true, body: 'for two' } },
      { path: '/a', headers: { host: 'one.example' }, expect: { status: 200, ran: false, body: 'for one' } },
    ],
  },
  {
    name: 'invalid percent-escapes do not collide',
    steps: [
      { path: '/q?q=%FF', origin: { body: 'ff' }, expect: { status: 200, ran: true } },
      { path: '/q?q=%FE', origin: { body: 'fe' }, expect: { status: 200, ran: true, body: 'fe' } },
      { path: '/q?q=%C3', origin: { body: 'c3' }, expect: { status: 200, ran: true, body: 'c3' } },
    ],
  },
  {
    name: 'a repeated query parameter is not served from the single-parameter entry',
    steps: [
      { path: '/list?pageSize=4', expect: { status: 200, ran: true } },
      { path: '/list?pageSize=4&pageSize=4', origin: { status: 400, body: 'repeated' }, expect: { status: 400, ran: true } },
      { path: '/list?pageSize=4', expect: { status: 200, ran: false } },
    ],
  },
  {
    name: 'HEAD from the cache carries the stored content-length',
    steps: [
      { path: '/a', origin: { body: '0123456789' }, expect: { status: 200, ran: true } },
      { method: 'HEAD', path: '/a', expect: { status: 200, ran: false, body: '', headers: { ...HIT, 'content-length': '10' } } },
    ],
  },
  {
    name: 'a successful unsafe request invalidates the stored response of its URL; a failed one does not',
    steps: [
      { path: '/items/1', origin: { body: 'v1' }, expect: { status: 200, ran: true } },
      { method: 'POST', path: '/items/1', origin: { status: 400, body: 'bad' }, expect: { status: 400, ran: true } },
      { path: '/items/1', expect: { status: 200, ran: false, body: 'v1' } },
      { method: 'PUT', path: '/items/1', origin: { status: 204, body: '' }, expect: { status: 204, ran: true } },
      { path: '/items/1', origin: { body: 'v2' }, expect: { status: 200, ran: true, body: 'v2' } },
    ],
  },
  {
    name: 'Set-Cookie responses, a 500 without a lifetime, and Authorization / Cookie / no-store requests are never served from the cache',
    steps: [
      { path: '/a', origin: { headers: { 'set-cookie': 'sid=1' } }, expect: { status: 200, ran: true } },
      { path: '/a', expect: { status: 200, ran: true } },
      { path: '/b', expect: { status: 200, ran: true } },
      { path: '/b', headers: { authorization: 'Bearer x' }, expect: { status: 200, ran: true } },
      { path: '/b', headers: { cookie: 'sid=1' }, expect: { status: 200, ran: true } },
      { path: '/b', headers: { 'cache-control': 'no-store' }, expect: { status: 200, ran: true } },
      { path: '/e', origin: { status: 500 }, expect: { status: 500, ran: true } },
      { path: '/e', origin: { status: 500 }, expect: { status: 500, ran: true } },
    ],
  },
  {
    name: 'Vary selects the stored variant',
    steps: [
      { path: '/v', headers: { 'accept-language': 'de' }, origin: { body: 'hallo', headers: { vary: 'Accept-Language' } }, expect: { status: 200, ran: true } },
      { path: '/v', headers: { 'accept-language': 'fr' }, origin: { body: 'salut', headers: { vary: 'Accept-Language' } }, expect: { status: 200, ran: true, body: 'salut' } },
    ],
  },
  {
    name: 'a stale response with a validator is revalidated with a conditional request; a 304 refreshes it',
    steps: [
      { path: '/a', origin: { body: 'v1', headers: { etag: '"v1"', 'cache-control': 'max-age=1' } }, expect: { status: 200, ran: true } },
      { advance: 2000, path: '/a', origin: { body: 'v1', headers: { etag: '"v1"', 'cache-control': 'max-age=1' } }, expect: { status: 200, ran: true, body: 'v1', headers: { 'x-cache': 'REVALIDATED', etag: '"v1"' } } },
      { advance: 500, path: '/a', expect: { status: 200, ran: false, body: 'v1', headers: HIT } },
    ],
  },
  {
    name: 'without a ttl, a response that states no freshness is not stored',
    withoutTtl: true,
    steps: [
      { path: '/a', expect: { status: 200, ran: true } },
      { path: '/a', expect: { status: 200, ran: true } },
    ],
  },
  {
    name: 'stale-while-revalidate from the route serves STALE where the origin states nothing',
    options: { ttl: 1, staleWhileRevalidate: 60 },
    steps: [
      { path: '/a', origin: { body: 'v1' }, expect: { status: 200, ran: true } },
      { advance: 2000, path: '/a', origin: { body: 'v2' }, expect: { status: 200, body: 'v1', headers: { 'x-cache': 'STALE' } } },
    ],
  },
  // Rate limiting runs in the same pipeline, before the cache: a refused request is answered 429 (or 503) with
  // its headers, never from the cache, never stored; a cached answer still counts against the limit.
  {
    name: 'rate limit: 429 with Retry-After, RateLimit-* and a JSON error once the window is spent; a HIT counts too',
    rateLimit: { max: 2, windowMs: 60_000 },
    steps: [
      { path: '/a', origin: { body: 'v1' }, expect: { status: 200, ran: true, headers: { ...MISS, 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'retry-after': null } } },
      { path: '/a', expect: { status: 200, ran: false, body: 'v1', headers: { ...HIT, 'ratelimit-limit': '2', 'ratelimit-remaining': '0' } } },
      {
        path: '/a',
        expect: {
          status: 429,
          ran: false,
          body: LIMITED_BODY(2, 60),
          headers: { 'x-cache': null, age: null, 'retry-after': '60', 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'ratelimit-reset': '60', 'content-type': 'application/json; charset=utf-8' },
        },
      },
      { method: 'POST', path: '/a', expect: { status: 429, ran: false } },
    ],
  },
  {
    name: 'rate limit: a refused request is not stored and a conditional one gets 429, not 304',
    rateLimit: { max: 2, windowMs: 60_000 },
    steps: [
      { path: '/a', origin: { body: 'v1' }, expect: { status: 200, ran: true } },
      { path: '/a', headers: { 'if-none-match': '*' }, expect: { status: 304, ran: false } },
      { path: '/a', headers: { 'if-none-match': '*' }, expect: { status: 429, ran: false } },
      { path: '/b', expect: { status: 429, ran: false } },
      { advance: 120_000, path: '/b', origin: { body: 'b' }, expect: { status: 200, ran: true, body: 'b', headers: { ...MISS, 'ratelimit-remaining': '1' } } },
    ],
  },
  {
    name: 'rate limit: health and metrics paths are exempt and carry no RateLimit headers',
    rateLimit: { max: 1, windowMs: 60_000 },
    steps: [
      { path: '/x', expect: { status: 200, ran: true } },
      { path: '/x', expect: { status: 429 } },
      { path: '/health', expect: { status: 200, headers: { 'ratelimit-limit': null } } },
      { path: '/metrics', expect: { status: 200, headers: { 'ratelimit-limit': null } } },
    ],
  },
  {
    name: "rate limit: a route's own limit counts in its scope, apart from the adapter-wide count; an exempt route is never limited",
    rateLimit: { max: 2, windowMs: 60_000, routes: { '/strict': { max: 1, scope: 'GET /strict' }, '/free': false } },
    steps: [
      { path: '/strict', expect: { status: 200, ran: true, headers: { 'ratelimit-limit': '1', 'ratelimit-remaining': '0' } } },
      { path: '/strict', expect: { status: 429, ran: false, body: LIMITED_BODY(1, 60) } },
      { path: '/x', expect: { status: 200, ran: true, headers: { 'ratelimit-limit': '2', 'ratelimit-remaining': '1' } } },
      { path: '/y', expect: { status: 200, ran: true, headers: { 'ratelimit-remaining': '0' } } },
      { path: '/z', expect: { status: 429, ran: false } },
      { path: '/free', expect: { status: 200, ran: true, headers: { 'ratelimit-limit': null } } },
      { path: '/free', expect: { status: 200, ran: false, headers: HIT } },
    ],
  },
  {
    name: 'rate limit: routes that name the same scope share one count',
    rateLimit: { max: 5, windowMs: 60_000, routes: { '/one': { max: 2, scope: 'pair' }, '/two': { max: 2, scope: 'pair' } } },
    steps: [
      { path: '/one', expect: { status: 200, ran: true, headers: { 'ratelimit-remaining': '1' } } },
      { path: '/two', expect: { status: 200, ran: true, headers: { 'ratelimit-remaining': '0' } } },
      { path: '/one', expect: { status: 429, ran: false } },
      { path: '/x', expect: { status: 200, ran: true, headers: { 'ratelimit-limit': '5', 'ratelimit-remaining': '4' } } },
    ],
  },
];
