import { describe, expect, it } from 'vitest';
import { createCacheKey, normalizeQuery } from './cache-key.js';
import { DEFAULT_CACHEABLE_STATUSES, evaluateCacheRequest, evaluateCacheResponse } from './cacheability.js';
import { createEtag, ifNoneMatchMatches } from './etag.js';
import { freshnessOf } from './freshness.js';

const get = (headers: Record<string, string> = {}) => ({ method: 'GET', path: '/a', headers });

describe('cache keys', () => {
  it('sorts and dedupes the query', () => {
    expect(normalizeQuery('?b=2&a=1&a=1&a=0')).toBe('a=0&a=1&b=2');
    expect(normalizeQuery('')).toBe('');
    expect(normalizeQuery(undefined)).toBe('');
  });

  it('treats equivalent queries alike and different paths, queries and vary values apart', () => {
    const base = { method: 'GET', route: '/items/:id', path: '/items/1', headers: { 'accept-language': 'de' } };
    const key = createCacheKey({ ...base, query: 'b=2&a=1' });
    expect(createCacheKey({ ...base, query: '?a=1&b=2&a=1' })).toBe(key);
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
    evaluateCacheResponse(get(requestHeaders), { status, headers }, 60_000, options);

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

  it('uses the configured TTL unless the response sets a shorter explicit lifetime', () => {
    expect(decide(200).ttlMs).toBe(60_000);
    expect(decide(200, { 'cache-control': 'public, max-age=10' }).ttlMs).toBe(10_000);
    expect(decide(200, { 'cache-control': 'max-age=600' }).ttlMs).toBe(60_000);
    expect(decide(200, { vary: 'Accept-Encoding, Accept' }).vary).toEqual(['accept', 'accept-encoding']);
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

  it('classifies fresh, stale and expired', () => {
    const entry = { storedAt: 1000, ttlMs: 100, staleWhileRevalidateMs: 50 };
    expect(freshnessOf(entry, 1099)).toBe('fresh');
    expect(freshnessOf(entry, 1100)).toBe('stale');
    expect(freshnessOf(entry, 1149)).toBe('stale');
    expect(freshnessOf(entry, 1150)).toBe('expired');
  });
});
