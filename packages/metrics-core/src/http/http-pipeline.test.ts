import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake-clock.js';
import { REVALIDATION_HEADER, revalidationToken } from './http-cache.js';
import { createHttpPipeline, type PipelineAction } from './http-pipeline.js';
import { seededRandom } from '../../test/random.js';
import { createRateLimiter } from './rate-limiter.js';
import type { HttpRequestInfo } from './http-types.js';

const START = Date.UTC(2026, 11, 7, 12, 0, 0);
const get = (headers: Record<string, string> = {}, method = 'GET', path = '/items/1'): HttpRequestInfo => ({ method, path, query: '', route: '/items/:id', headers: { host: 'api.example', ...headers } });

type Mode = 'begin' | 'answerSync first';

/**
 * A pipeline and `run`: one request through it, with the route's response when it runs. In 'answerSync first'
 * mode a request goes to `answerSync` first and to `begin` only when that has no answer (what the adapters do),
 * so every case below also checks that the synchronous path answers exactly as `begin` does.
 */
function setupWith(options: Parameters<typeof createHttpPipeline>[0] = {}, mode: Mode = 'begin') {
  const clock = createFakeClock(START);
  const pipeline = createHttpPipeline({ clock, ttl: 60, ...options });
  let syncAnswers = 0;
  const run = async (request: HttpRequestInfo, status = 200, headers: Record<string, string> = {}, body = 'payload') => {
    const served = mode === 'begin' ? undefined : pipeline.answerSync(request);
    if (served !== undefined) syncAnswers++;
    const action: PipelineAction = served ?? (await pipeline.begin(request));
    if (action.type === 'respond') return { ran: false, ...action.response, body: action.response.body.toString() };
    if (!action.capture) return { ran: true, status, headers, body };
    const done = await action.capture.complete({ status, headers, body: Buffer.from(body) });
    await new Promise((resolve) => setImmediate(resolve)); // the save runs after the answer
    return { ran: true, status: done.status, headers: { ...headers, ...done.headers }, body: done.body.toString() };
  };
  return { clock, pipeline, run, syncAnswers: () => syncAnswers };
}

describe.each(['begin', 'answerSync first'] as const)('http pipeline (RFC 9111), %s', (mode) => {
  const setup = (options: Parameters<typeof createHttpPipeline>[0] = {}) => setupWith(options, mode);

  it('answers a stored hit without a promise only through answerSync, and a miss never', async () => {
    const { run, syncAnswers } = setup();
    expect(await run(get(), 200, {}, 'v1')).toMatchObject({ ran: true });
    expect(syncAnswers()).toBe(0);
    expect(await run(get())).toMatchObject({ ran: false, body: 'v1', headers: { 'x-cache': 'HIT' } });
    expect(await run(get({ 'cache-control': 'no-cache' }), 200, {}, 'v2')).toMatchObject({ ran: true, body: 'v2' });
    expect(syncAnswers()).toBe(mode === 'begin' ? 0 : 1);
  });

  it('serves a stale-if-error window only when the handler fails, never as a HIT', async () => {
    const { clock, run } = setup();
    await run(get(), 200, { 'cache-control': 'max-age=1, stale-if-error=60' }, 'v1');
    clock.advance(2500);
    const healthy = await run(get(), 200, { 'cache-control': 'max-age=1, stale-if-error=60' }, 'v2');
    expect(healthy).toMatchObject({ ran: true, status: 200, body: 'v2' });
    clock.advance(2500);
    const failing = await run(get(), 503, {}, 'down');
    expect(failing).toMatchObject({ ran: true, status: 200, body: 'v2', headers: { 'x-cache': 'STALE' } });
  });

  it('grows Age from the upstream Age and keeps the upstream Date', async () => {
    const { clock, run } = setup();
    const date = new Date(START).toUTCString();
    await run(get(), 200, { 'cache-control': 'max-age=3600', age: '3000', date });
    clock.advance(2000);
    const hit = await run(get());
    expect(hit).toMatchObject({ ran: false, headers: { age: '3002', date, 'x-cache': 'HIT' } });
    clock.advance(600_000);
    expect((await run(get(), 200, {}, 'fresh')).ran).toBe(true);
  });

  it('answers HEAD from the stored GET with its content-length and no body', async () => {
    const { run } = setup();
    await run(get(), 200, {}, '0123456789');
    const head = await run(get({}, 'HEAD'));
    expect(head).toMatchObject({ ran: false, status: 200, headers: { 'content-length': '10' } });
  });

  it('keeps weak ETags and compares them weakly; If-None-Match: * on a stored 404 is not a 304', async () => {
    const { run } = setup();
    await run(get(), 200, { etag: 'W/"v1"' }, 'x');
    expect(await run(get({ 'if-none-match': 'W/"v1"' }))).toMatchObject({ ran: false, status: 304, headers: { etag: 'W/"v1"' } });
    await run(get({}, 'GET', '/missing'), 404, {}, 'nope');
    expect(await run(get({ 'if-none-match': '*' }, 'GET', '/missing'))).toMatchObject({ ran: false, status: 404, body: 'nope' });
  });

  it('keys by Host', async () => {
    const { run } = setup();
    await run(get({ host: 'a.example' }), 200, {}, 'for a');
    expect(await run(get({ host: 'b.example' }), 200, {}, 'for b')).toMatchObject({ ran: true, body: 'for b' });
    expect(await run(get({ host: 'A.example' }))).toMatchObject({ ran: false, body: 'for a' });
  });

  it('invalidates the URL (and same-host Location) on a successful unsafe request, not on an error', async () => {
    const { run } = setup();
    await run(get(), 200, {}, 'v1');
    await run(get({}, 'GET', '/items'), 200, {}, 'list');
    await run(get({}, 'POST'), 400, {}, 'bad');
    expect(await run(get())).toMatchObject({ ran: false, body: 'v1' });
    await run(get({}, 'PUT'), 204, { 'content-location': '/items' }, '');
    expect(await run(get(), 200, {}, 'v2')).toMatchObject({ ran: true, body: 'v2' });
    expect(await run(get({}, 'GET', '/items'), 200, {}, 'list2')).toMatchObject({ ran: true, body: 'list2' });
  });

  it('refuses to store a response whose fill began before an invalidation', async () => {
    const { pipeline, run } = setup({ tags: ['items'] });
    const action = await pipeline.begin(get());
    if (action.type !== 'forward' || !action.capture) throw new Error('expected a miss');
    await pipeline.cache.invalidate(['items']);
    await action.capture.complete({ status: 200, headers: {}, body: Buffer.from('old') });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await run(get(), 200, {}, 'new')).toMatchObject({ ran: true, body: 'new' });
    expect(await run(get())).toMatchObject({ ran: false, body: 'new' });
  });

  it('honours request max-age and only-if-cached', async () => {
    const { clock, run } = setup();
    expect(await run(get({ 'cache-control': 'only-if-cached' }))).toMatchObject({ ran: false, status: 504 });
    await run(get(), 200, {}, 'v1');
    clock.advance(5000);
    expect(await run(get({ 'cache-control': 'max-age=2' }), 200, {}, 'v2')).toMatchObject({ ran: true, body: 'v2' });
  });

  it('adds a strong ETag to a 2xx without one and answers a matching If-None-Match on a miss with 304', async () => {
    const { run } = setup();
    const first = await run(get(), 200, {}, 'body');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const { run: other } = setup();
    expect(await other(get({ 'if-none-match': etag }), 200, {}, 'body')).toMatchObject({ ran: true, status: 304, body: '' });
  });
});

describe('http pipeline: rate limiting before the cache', () => {
  it('answers 429 with headers and a JSON body, never from the cache; the background revalidation is not counted', async () => {
    const clock = createFakeClock(START);
    const rateLimiter = createRateLimiter({ max: 1, windowMs: 60_000, clock });
    const pipeline = createHttpPipeline({ clock, ttl: 60, rateLimiter });
    const first = await pipeline.begin(get(), { clientKey: 'ip:1' });
    expect(first).toMatchObject({ type: 'forward', headers: { 'x-cache': 'MISS', 'RateLimit-Limit': '1', 'RateLimit-Remaining': '0' } });
    const refused = await pipeline.begin(get(), { clientKey: 'ip:1' });
    if (refused.type !== 'respond') throw new Error('expected a refusal');
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers).toMatchObject({ 'Retry-After': '60', 'content-type': 'application/json; charset=utf-8' });
    expect(JSON.parse(refused.response.body.toString())).toMatchObject({ error: { code: 'E_RATE_LIMITED' } });
    expect(await pipeline.begin(get({ [REVALIDATION_HEADER]: revalidationToken() }), { clientKey: 'ip:1' })).toMatchObject({ type: 'forward', headers: { 'x-cache': 'MISS' } });
    expect(await pipeline.begin(get(), { clientKey: 'ip:2', cache: false })).toEqual(expect.objectContaining({ type: 'forward', headers: { 'RateLimit-Limit': '1', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '60' } }));
    expect((await pipeline.begin(get(), { clientKey: 'ip:1', rateLimit: false })).type).toBe('forward');
    // A rate-limited route always takes the limiter's (asynchronous) path, even for a stored hit.
    expect(pipeline.answerSync(get(), { clientKey: 'ip:1' })).toBeUndefined();
    await rateLimiter.close();
  });

  it("a route's own limit counts in '<METHOD> <route>' unless it names a scope", async () => {
    const clock = createFakeClock(START);
    const rateLimiter = createRateLimiter({ max: 5, windowMs: 60_000, clock });
    const pipeline = createHttpPipeline({ clock, rateLimiter });
    const status = async (rateLimit: { max?: number; scope?: string }, path = '/items/1') => {
      const action = await pipeline.begin(get({}, 'GET', path), { clientKey: 'ip:1', cache: false, rateLimit });
      return action.type === 'respond' ? action.response.status : 200;
    };
    expect([await status({ max: 1 }), await status({ max: 1 }), await status({})]).toEqual([200, 429, 200]);
    expect([await status({ max: 1, scope: 'shared' }), await status({ max: 1, scope: 'shared' }, '/other')]).toEqual([200, 429]);
    await rateLimiter.close();
  });

  it('frees the concurrency slot through the action, and sheds with 503 while it is held', async () => {
    const rateLimiter = createRateLimiter({ max: 100, concurrency: 1 });
    const pipeline = createHttpPipeline({ rateLimiter });
    const held = await pipeline.begin(get(), { clientKey: 'ip:1', cache: false });
    const shed = await pipeline.begin(get(), { clientKey: 'ip:2', cache: false });
    expect(shed.type === 'respond' && shed.response.status).toBe(503);
    held.release?.();
    expect((await pipeline.begin(get(), { clientKey: 'ip:2', cache: false })).type).toBe('forward');
    await rateLimiter.close();
  });
});

describe('http pipeline: reads racing writes (answerSync first, as the adapters do)', () => {
  it('never answers with a value older than the last write that had returned when the read began', async () => {
    const pipeline = createHttpPipeline({ ttl: 60 });
    const route = { cache: { tags: ['items'] } };
    const random = seededRandom(7);
    /** Yields to the event loop 0–3 times, so reads, handlers, background saves and writes interleave. */
    const yieldSome = async () => {
      for (let turns = Math.floor(random() * 4); turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve));
    };
    let database = 0;
    let returned = 0;
    let writing = true;
    let reads = 0;
    let syncHits = 0;
    const stale: string[] = [];
    const reader = async () => {
      while (writing) {
        const floor = returned;
        const request = get();
        const served = pipeline.answerSync(request, route);
        if (served !== undefined) syncHits++;
        const action = served ?? (await pipeline.begin(request, route));
        let body: string;
        if (action.type === 'respond') body = action.response.body.toString();
        else {
          // The handler reads the source, then takes a while to answer: a write may land in between.
          const value = String(database);
          await yieldSome();
          body = action.capture ? (await action.capture.complete({ status: 200, headers: {}, body: Buffer.from(value) })).body.toString() : value;
        }
        if (Number(body) < floor) stale.push(`read ${body} after write ${floor} returned`);
        reads++;
        await yieldSome();
      }
    };
    const writer = async () => {
      for (let write = 0; write < 3000; write++) {
        database++;
        await yieldSome();
        await pipeline.cache.invalidate(['items']);
        returned = database;
        await yieldSome();
      }
      writing = false;
    };
    await Promise.all([writer(), reader(), reader(), reader(), reader()]);
    expect(stale).toEqual([]);
    // The race exercised both paths: stored answers given synchronously and loads racing the writes.
    expect(syncHits).toBeGreaterThan(100);
    expect(reads - syncHits).toBeGreaterThan(100);
  });
});
