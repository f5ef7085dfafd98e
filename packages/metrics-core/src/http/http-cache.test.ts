import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake-clock.js';
import type { CacheStore } from '../contracts/cache.js';
import { createHttpCache, REVALIDATION_HEADER, revalidationToken } from './http-cache.js';
import type { HttpRequestInfo } from './http-types.js';
import { createMemoryCacheStore } from './memory-cache-store.js';

const request = (headers: Record<string, string> = {}, method = 'GET'): HttpRequestInfo => ({ method, path: '/items/1', query: 'b=1&a=2', route: '/items/:id', headers });
const ok = (body = 'payload', headers: Record<string, string> = { 'content-type': 'text/plain' }) => ({ status: 200, headers, body: Buffer.from(body) });

describe('http cache', () => {
  it('misses, stores, then hits with ETag, Age and X-Cache; HEAD is answered from the GET entry', async () => {
    const clock = createFakeClock(0);
    const cache = createHttpCache({ clock, ttl: 60 });
    const miss = await cache.lookup(request());
    expect(miss).toMatchObject({ status: 'miss', store: true });
    if (miss.status !== 'miss') throw new Error('expected a miss');
    const saved = await cache.save(miss.key, request(), ok());
    expect(saved).toMatchObject({ stored: true, notModified: false });
    clock.advance(5000);
    const hit = await cache.lookup({ ...request(), query: '?a=2&b=1' });
    expect(hit).toMatchObject({ status: 'hit', responseStatus: 200, headers: { 'x-cache': 'HIT', etag: saved.etag, age: '5', 'content-type': 'text/plain' } });
    if (hit.status !== 'hit') throw new Error('expected a hit');
    expect(hit.body.toString()).toBe('payload');
    const head = await cache.lookup(request({}, 'HEAD'));
    expect(head).toMatchObject({ status: 'hit' });
    if (head.status === 'hit') expect(head.headers['content-length']).toBe('7');
  });

  it('answers a matching If-None-Match with 304 on hits and on fresh saves', async () => {
    const cache = createHttpCache();
    const miss = await cache.lookup(request());
    if (miss.status !== 'miss') throw new Error('expected a miss');
    const saved = await cache.save(miss.key, request(), ok('x', { 'cache-control': 'public, max-age=60', 'content-type': 'text/plain' }));
    const conditional = await cache.lookup(request({ 'if-none-match': saved.etag }));
    expect(conditional).toMatchObject({ status: 'hit', responseStatus: 304, notModified: true });
    if (conditional.status !== 'hit') throw new Error('expected a hit');
    expect(conditional.body.byteLength).toBe(0);
    expect(conditional.headers['content-type']).toBeUndefined();
    expect(conditional.headers['cache-control']).toBe('public, max-age=60');
    const again = await cache.save(miss.key, request({ 'if-none-match': `W/${saved.etag}` }), ok('x'));
    expect(again.notModified).toBe(true);
  });

  it('serves stale within stale-while-revalidate, hands out one revalidation, then expires', async () => {
    const clock = createFakeClock(0);
    const cache = createHttpCache({ clock, ttl: 10, staleWhileRevalidate: 20 });
    const miss = await cache.lookup(request());
    if (miss.status !== 'miss') throw new Error('expected a miss');
    await cache.save(miss.key, request(), ok('v1'));
    clock.advance(15_000);
    const stale = await cache.lookup(request());
    expect(stale).toMatchObject({ status: 'stale', revalidate: true, headers: { 'x-cache': 'STALE' } });
    expect(await cache.lookup(request())).toMatchObject({ status: 'stale', revalidate: false });
    const revalidation = request({ [REVALIDATION_HEADER]: revalidationToken() });
    expect(cache.isRevalidation(revalidation)).toBe(true);
    expect(cache.isRevalidation(request({ [REVALIDATION_HEADER]: 'guess' }))).toBe(false);
    const forced = await cache.lookup(revalidation);
    expect(forced).toMatchObject({ status: 'miss', reason: 'revalidation', store: true });
    await cache.save(miss.key, revalidation, ok('v2'));
    const fresh = await cache.lookup(request());
    expect(fresh).toMatchObject({ status: 'hit' });
    if (fresh.status === 'hit') expect(fresh.body.toString()).toBe('v2');
    clock.advance(31_000);
    expect(await cache.lookup(request())).toMatchObject({ status: 'miss' });
  });

  it('keeps one variant per key and checks the Vary\'d request headers', async () => {
    const cache = createHttpCache({ ttl: 60 });
    const german = request({ 'accept-language': 'de' });
    const miss = await cache.lookup(german);
    if (miss.status !== 'miss') throw new Error('expected a miss');
    await cache.save(miss.key, german, ok('hallo', { vary: 'Accept-Language' }));
    expect(await cache.lookup(german)).toMatchObject({ status: 'hit' });
    expect(await cache.lookup(request({ 'accept-language': 'fr' }))).toMatchObject({ status: 'miss' });
  });

  it('bypasses and refuses per the rules', async () => {
    const cache = createHttpCache({ ttl: 60 });
    expect(await cache.lookup(request({}, 'POST'))).toEqual({ status: 'bypass', reason: 'method' });
    expect(await cache.lookup(request({ authorization: 'x' }))).toEqual({ status: 'bypass', reason: 'authorization' });
    expect(await cache.lookup(request({ 'cache-control': 'no-cache' }))).toMatchObject({ status: 'miss', store: true, reason: 'no-cache' });
    const miss = await cache.lookup(request());
    if (miss.status !== 'miss') throw new Error('expected a miss');
    expect(await cache.save(miss.key, request(), { ...ok(), headers: { 'set-cookie': 'a=1' } })).toMatchObject({ stored: false, reason: 'set-cookie' });
    expect(await cache.save(miss.key, request(), { ...ok(), status: 500 })).toMatchObject({ stored: false, reason: 'status' });
    const small = createHttpCache({ maxBodyBytes: 3, ttl: 60 });
    expect(await small.save(miss.key, request(), ok('four'))).toMatchObject({ stored: false, reason: 'too-large' });
    expect(await cache.lookup(request())).toMatchObject({ status: 'miss' });
  });

  it('invalidates by tag', async () => {
    const store = createMemoryCacheStore();
    const cache = createHttpCache({ store, tags: ['items'], ttl: 60 });
    const miss = await cache.lookup(request());
    if (miss.status !== 'miss') throw new Error('expected a miss');
    await cache.save(miss.key, request(), ok());
    expect(store.size).toBe(1);
    await cache.invalidate(['items']);
    expect(store.size).toBe(0);
  });

  it('refuses a response made while a write invalidated it (the fill began before the handler ran)', async () => {
    const cache = createHttpCache({ ttl: 60, tags: ['items'] });
    const before = await cache.lookup(request());
    if (before.status !== 'miss') throw new Error('expected a miss');
    expect(before.fill).toBeDefined();
    // The handler read the old data; then a write invalidated the tag before the response was saved.
    await cache.invalidate(['items']);
    expect(await cache.save(before.key, request(), ok('old'), undefined, before.fill)).toMatchObject({ stored: false, reason: 'invalidated' });
    expect((await cache.lookup(request())).status).toBe('miss');
    const after = await cache.lookup(request());
    if (after.status !== 'miss') throw new Error('expected a miss');
    expect((await cache.save(after.key, request(), ok('new'), undefined, after.fill)).stored).toBe(true);
    const hit = await cache.lookup(request());
    expect(hit.status === 'hit' && hit.body.toString()).toBe('new');
  });

  it('degrades to misses when the store fails', async () => {
    const broken: CacheStore = {
      get: () => Promise.reject(new Error('down')),
      set: () => Promise.reject(new Error('down')),
      delete: async () => false,
      invalidateByTag: async () => {},
    };
    const cache = createHttpCache({ store: broken, ttl: 60 });
    const miss = await cache.lookup(request());
    expect(miss).toMatchObject({ status: 'miss' });
    if (miss.status !== 'miss') throw new Error('expected a miss');
    expect(await cache.save(miss.key, request(), ok())).toMatchObject({ stored: false, reason: 'store-error' });
  });

  it('validates TTLs with a typed error', () => {
    expect(() => createHttpCache({ ttl: 0 })).toThrow(expect.objectContaining({ code: 'E_INVALID_TTL' }));
    expect(() => createMemoryCacheStore({ maxEntries: 0 })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });
});

describe('memory cache store', () => {
  it('expires by TTL, evicts least recently used, indexes tags', async () => {
    const clock = createFakeClock(0);
    const store = createMemoryCacheStore({ clock, maxEntries: 2 });
    await store.set('a', 1, { ttl: 1, tags: ['t'] });
    await store.set('b', 2, { tags: ['t'] });
    await store.get('a');
    await store.set('c', 3);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBe(1);
    clock.advance(1000);
    expect(await store.get('a')).toBeUndefined();
    await store.set('d', 4, { tags: ['t'] });
    await store.invalidateByTag('t');
    expect(await store.get('d')).toBeUndefined();
    expect(await store.get('c')).toBe(3);
    expect(await store.delete('c')).toBe(true);
    expect(await store.delete('c')).toBe(false);
  });

  it('moves a hit entry only when it is not among the younger half (getSync answers as get)', async () => {
    const store = createMemoryCacheStore({ maxEntries: 4 });
    for (const key of ['a', 'b', 'c', 'd']) await store.set(key, key);
    expect(store.getSync('a')).toBe('a'); // the oldest: moved to the young end
    expect(store.getSync('d')).toBe('d'); // already young: left where it is
    await store.set('e', 'e');
    expect(store.getSync('b')).toBeUndefined();
    await store.set('f', 'f');
    expect(store.getSync('c')).toBeUndefined();
    expect(await store.get('a')).toBe('a');
    expect(await store.get('d')).toBe('d');
    expect(store.size).toBe(4);
  });
});

describe('http cache without a ttl (RFC 9111 defaults)', () => {
  it('stores only what the origin marks fresh, or the Last-Modified heuristic', async () => {
    const clock = createFakeClock(Date.UTC(2026, 11, 7));
    const cache = createHttpCache({ clock });
    const miss = await cache.lookup(request());
    if (miss.status !== 'miss') throw new Error('expected a miss');
    expect(await cache.save(miss.key, request(), ok())).toMatchObject({ stored: false, reason: 'stale' });
    const lastModified = new Date(clock.now() - 100_000).toUTCString();
    expect(await cache.save(miss.key, request(), ok('x', { 'last-modified': lastModified }))).toMatchObject({ stored: true });
    clock.advance(9000);
    expect((await cache.lookup(request())).status).toBe('hit');
    clock.advance(2000);
    expect((await cache.lookup(request())).status).toBe('miss');
  });
});
