import { describe, expect, it } from 'vitest';
import { createCacheKey, normalizeQuery } from './cache-key.js';
import { DEFAULT_CACHEABLE_STATUSES, evaluateCacheRequest, evaluateCacheResponse } from './cacheability.js';
import { deltaSeconds, parseCacheControl } from './cache-control.js';
import { createEtag, ifNoneMatchMatches, isNotModified } from './etag.js';
import { freshnessOf, parseHttpDate } from './freshness.js';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);

const get = (headers: Record<string, string> = {}) => ({ method: 'GET', path: '/a', headers });

describe('cache keys', () => {
  it('orders the query by name, keeps repeats in order and never decodes', () => {
    expect(normalizeQuery('?b=2&a=1&a=1&a=0')).toBe('a=1&a=1&a=0&b=2');
    expect(normalizeQuery('a=1&&b=2&')).toBe('a=1&b=2');
    expect(normalizeQuery('q=%FE')).not.toBe(normalizeQuery('q=%FF'));
    expect(normalizeQuery('q=%C3')).not.toBe(normalizeQuery('q=%FF'));
    expect(normalizeQuery('pageSize=4&pageSize=4')).not.toBe(normalizeQuery('pageSize=4'));
    expect(normalizeQuery('')).toBe('');
    expect(normalizeQuery(undefined)).toBe('');
  });

  it('includes the Host by default (lower-cased) and leaves it out on request', () => {
    const base = { method: 'GET', route: '/', path: '/', query: '' };
    expect(createCacheKey({ ...base, headers: { host: 'A.example' } })).toBe('http:GET:a.example/');
    expect(createCacheKey({ ...base, headers: { host: 'b.example' } })).not.toBe(createCacheKey({ ...base, headers: { host: 'a.example' } }));
    expect(createCacheKey({ ...base, headers: { host: 'b.example' }, host: false })).toBe('http:GET:/');
  });

  it('treats equivalent queries alike and different paths, queries and vary values apart', () => {
    const base = { method: 'GET', route: '/items/:id', path: '/items/1', headers: { 'accept-language': 'de' } };
    const key = createCacheKey({ ...base, query: 'b=2&a=1' });
    expect(createCacheKey({ ...base, query: '?a=1&b=2' })).toBe(key);
    expect(createCacheKey({ ...base, query: '?a=1&b=2&a=1' })).not.toBe(key);
    expect(createCacheKey({ ...base, method: 'HEAD', query: 'a=1&b=2' })).toBe(key);
    expect(createCacheKey({ ...base, path: '/items/2', query: 'a=1&b=2' })).not.toBe(key);
    expect(createCacheKey({ ...base, query: 'a=1&b=3' })).not.toBe(key);
    const varied = createCacheKey({ ...base, vary: ['Accept-Language'] });
    expect(createCacheKey({ ...base, headers: { 'accept-language': 'fr' }, vary: ['accept-language'] })).not.toBe(varied);
    expect(key).toBe('http:GET:/items/1?a=1&b=2');
    const long = createCacheKey({ ...base, query: `q=${'x'.repeat(300)}` });
    expect(long).toMatch(/^http:GET:\/items\/:id:[\w-]{22}$/);
    expect(createCacheKey({ ...base, query: `q=${'x'.repeat(299)}y` })).not.toBe(long);
  });
});

describe('request rules', () => {
  it('only looks up GET and HEAD', () => {
    expect(evaluateCacheRequest({ method: 'POST', headers: {} })).toEqual({ lookup: false, store: false, reason: 'method' });
    expect(evaluateCacheRequest({ method: 'HEAD', headers: {} })).toEqual({ lookup: true, store: false });
    expect(evaluateCacheRequest({ method: 'GET', headers: {} })).toEqual({ lookup: true, store: true });
  });

  it('refuses credentials unless allowed', () => {
    expect(evaluateCacheRequest(get({ authorization: 'Bearer x' })).reason).toBe('authorization');
    expect(evaluateCacheRequest(get({ cookie: 'sid=1' })).reason).toBe('cookie');
    expect(evaluateCacheRequest(get({ cookie: 'sid=1' }), { allowAuthorized: true })).toEqual({ lookup: true, store: true });
  });

  it('honours no-store, no-cache, max-age=0 and Pragma', () => {
    expect(evaluateCacheRequest(get({ 'cache-control': 'no-store' }))).toEqual({ lookup: false, store: false, reason: 'no-store' });
    expect(evaluateCacheRequest(get({ 'cache-control': 'no-cache' }))).toEqual({ lookup: false, store: true, reason: 'no-cache' });
    expect(evaluateCacheRequest(get({ 'cache-control': 'max-age=0' })).lookup).toBe(false);
    expect(evaluateCacheRequest(get({ pragma: 'no-cache' })).lookup).toBe(false);
    expect(evaluateCacheRequest(get({ 'cache-control': 'max-age=60' })).lookup).toBe(true);
  });
});

describe('response rules', () => {
  const decide = (status: number, headers: Record<string, string> = {}, requestHeaders: Record<string, string> = {}, options = {}) =>
    evaluateCacheResponse(get(requestHeaders), { status, headers }, { ttlMs: 60_000, staleWhileRevalidateMs: 0, override: false }, options, NOW);

  it('stores the default statuses only', () => {
    for (const status of DEFAULT_CACHEABLE_STATUSES) expect(decide(status).store).toBe(true);
    for (const status of [201, 302, 400, 500, 503]) expect(decide(status).reason).toBe('status');
    expect(decide(302, {}, {}, { statuses: [302] }).store).toBe(true);
  });

  it('never stores Set-Cookie, no-store, private, no-cache or Vary: *', () => {
    expect(decide(200, { 'set-cookie': 'a=1' }).reason).toBe('set-cookie');
    expect(decide(200, { 'cache-control': 'no-store' }).reason).toBe('no-store');
    expect(decide(200, { 'cache-control': 'private, max-age=60' }).reason).toBe('private');
    expect(decide(200, { 'cache-control': 'no-cache' }).reason).toBe('no-cache');
    expect(decide(200, { vary: 'Accept, *' }).reason).toBe('vary-star');
  });

  it('takes freshness from the origin and the configured TTL only where the origin states none', () => {
    expect(decide(200).ttlMs).toBe(60_000);
    expect(decide(200, { 'cache-control': 'public, max-age=10' }).ttlMs).toBe(10_000);
    expect(decide(200, { 'cache-control': 'max-age=600' }).ttlMs).toBe(600_000);
    expect(decide(200, { 'cache-control': 'max-age=600, s-maxage=20' }).ttlMs).toBe(20_000);
    expect(decide(200, { expires: new Date(NOW + 30_000).toUTCString(), date: new Date(NOW).toUTCString() }).ttlMs).toBe(30_000);
    expect(decide(200, { vary: 'Accept-Encoding, Accept' }).vary).toEqual(['accept', 'accept-encoding']);
    const override = evaluateCacheResponse(get(), { status: 200, headers: { 'cache-control': 'max-age=600' } }, { ttlMs: 5000, staleWhileRevalidateMs: 0, override: true }, {}, NOW);
    expect(override.ttlMs).toBe(5000);
  });

  it('treats a malformed Expires, a malformed max-age and an upstream Age past the lifetime as stale (not stored)', () => {
    expect(decide(200, { expires: '0' }).reason).toBe('stale');
    expect(decide(200, { expires: 'Thu, 99 Foo 2099 00:00:00 GMT' }).reason).toBe('stale');
    expect(decide(200, { expires: '2099-01-01T00:00:00Z' }).reason).toBe('stale');
    expect(decide(200, { 'cache-control': 'max-age=abc' }).reason).toBe('stale');
    expect(decide(200, { 'cache-control': 'max-age=100', age: '200' }).reason).toBe('stale');
  });

  it('keeps the upstream Age and Date as the initial age', () => {
    expect(decide(200, { 'cache-control': 'max-age=3600', age: '3000' }).freshness.initialAgeMs).toBe(3_000_000);
    expect(decide(200, { 'cache-control': 'max-age=3600', date: new Date(NOW - 10_000).toUTCString() }).freshness.initialAgeMs).toBe(10_000);
  });

  it('counts stale-while-revalidate / stale-if-error as stale allowances, never as freshness', () => {
    const sie = decide(200, { 'cache-control': 'max-age=1, stale-if-error=60' });
    expect(sie.freshness).toMatchObject({ lifetimeMs: 1000, staleIfErrorMs: 60_000, staleWhileRevalidateMs: 0 });
    const swr = decide(200, { 'cache-control': 'max-age=1, stale-while-revalidate=4' });
    expect(swr.freshness).toMatchObject({ lifetimeMs: 1000, staleWhileRevalidateMs: 4000 });
  });

  it('lets the origin win over the route staleWhileRevalidate: must-revalidate, s-maxage and its own value', () => {
    const route = { ttlMs: 60_000, staleWhileRevalidateMs: 60_000, override: false };
    const judge = (headers: Record<string, string>) => evaluateCacheResponse(get(), { status: 200, headers }, route, {}, NOW).freshness;
    expect(judge({}).staleWhileRevalidateMs).toBe(60_000);
    expect(judge({ 'cache-control': 'max-age=10' }).staleWhileRevalidateMs).toBe(0);
    expect(judge({ 'cache-control': 'max-age=10, stale-while-revalidate=4' }).staleWhileRevalidateMs).toBe(4000);
    expect(judge({ 'cache-control': 'max-age=10, stale-while-revalidate=4, must-revalidate' }).staleWhileRevalidateMs).toBe(0);
    expect(judge({ 'cache-control': 's-maxage=10, stale-while-revalidate=4' }).staleWhileRevalidateMs).toBe(0);
    expect(judge({ 'cache-control': 'proxy-revalidate' }).staleWhileRevalidateMs).toBe(0);
  });

  it('stores any final status with an explicit lifetime, and honours must-understand and Surrogate-Control', () => {
    expect(decide(302, { 'cache-control': 'max-age=60' }).store).toBe(true);
    expect(decide(503, { 'cache-control': 'max-age=60' }).store).toBe(true);
    expect(decide(206, { 'cache-control': 'max-age=60' }).reason).toBe('status');
    expect(decide(599, { 'cache-control': 'max-age=60, must-understand' }).reason).toBe('status');
    expect(decide(200, { 'cache-control': 'max-age=60, must-understand, no-store' }).store).toBe(true);
    expect(decide(200, { 'cache-control': 'max-age=60', 'surrogate-control': 'no-store' }).reason).toBe('no-store');
    expect(decide(200, { 'cache-control': 'max-age=600', 'surrogate-control': 'max-age=5' }).ttlMs).toBe(5000);
  });

  it('reads an unusable Age or a max-age with spaces around "=" as stale', () => {
    for (const age of ['abc', '-7200', '7200.0', '0, 7200', '60;foo']) expect(decide(200, { 'cache-control': 'max-age=3600', age }).reason).toBe('stale');
    expect(decide(200, { 'cache-control': 'max-age= 3600' }).reason).toBe('stale');
    expect(decide(200, { 'cache-control': 'max-age =3600' }).reason).toBe('stale');
  });

  it('refuses Pragma: no-cache without Cache-Control', () => {
    expect(decide(200, { pragma: 'no-cache' }).reason).toBe('no-cache');
  });

  it('lets the RFC 9111 library veto authorized requests unless allowed', () => {
    expect(decide(200, {}, { authorization: 'Bearer x' }).reason).toBe('not-storable');
    expect(decide(200, {}, { authorization: 'Bearer x' }, { allowAuthorized: true }).store).toBe(true);
  });
});

describe('etags and freshness', () => {
  it('makes strong tags that follow the bytes', () => {
    const tag = createEtag('hello');
    expect(tag).toMatch(/^"[\w-]{22}"$/);
    expect(createEtag(Buffer.from('hello'))).toBe(tag);
    expect(createEtag('hello!')).not.toBe(tag);
  });

  it('matches If-None-Match with weak comparison and *', () => {
    expect(ifNoneMatchMatches('"a", "b"', '"b"')).toBe(true);
    expect(ifNoneMatchMatches('W/"b"', '"b"')).toBe(true);
    expect(ifNoneMatchMatches('*', '"b"')).toBe(true);
    expect(ifNoneMatchMatches('"a"', '"b"')).toBe(false);
    expect(ifNoneMatchMatches(undefined, '"b"')).toBe(false);
  });

  it('classifies fresh, stale, stale-if-error and expired by current age', () => {
    const entry = { storedAt: 1000, ttlMs: 100, staleWhileRevalidateMs: 50, staleIfErrorMs: 80 };
    expect(freshnessOf(entry, 1099)).toBe('fresh');
    expect(freshnessOf(entry, 1100)).toBe('stale');
    expect(freshnessOf(entry, 1149)).toBe('stale');
    expect(freshnessOf(entry, 1150)).toBe('stale-if-error');
    expect(freshnessOf(entry, 1180)).toBe('expired');
    expect(freshnessOf({ ...entry, initialAgeMs: 60 }, 1040)).toBe('stale');
  });

  it('answers If-None-Match: * and If-Modified-Since only for 200/203', () => {
    expect(isNotModified('*', undefined, { status: 200, etag: '"a"', lastModified: undefined })).toBe(true);
    expect(isNotModified('*', undefined, { status: 404, etag: '"a"', lastModified: undefined })).toBe(false);
    expect(isNotModified('W/"v1"', undefined, { status: 200, etag: 'W/"v1"', lastModified: undefined })).toBe(true);
    const lastModified = 'Tue, 01 Dec 2026 00:00:00 GMT';
    expect(isNotModified(undefined, 'Wed, 02 Dec 2026 00:00:00 GMT', { status: 200, etag: undefined, lastModified })).toBe(true);
    expect(isNotModified(undefined, 'Mon, 30 Nov 2026 00:00:00 GMT', { status: 200, etag: undefined, lastModified })).toBe(false);
  });

  it('parses Cache-Control with quoted values, repeats and bad delta-seconds', () => {
    const directives = parseCacheControl('max-age=10, no-cache="set-cookie, x", MAX-AGE=99, s-maxage="20", foo');
    expect(directives.get('max-age')).toBe('10');
    expect(directives.get('no-cache')).toBe('set-cookie, x');
    expect(deltaSeconds(directives, 's-maxage')).toBe(20);
    expect(directives.get('foo')).toBe(true);
    expect(deltaSeconds(parseCacheControl('max-age=-1'), 'max-age')).toBeNaN();
    expect(deltaSeconds(parseCacheControl('max-age=1.5'), 'max-age')).toBeNaN();
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(784111777000);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(784111777000);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(784111777000);
    expect(parseHttpDate('0')).toBeNaN();
  });
});
