import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake-clock.js';
import { createHttpPipeline, type PipelineAction } from './http-pipeline.js';
import type { HttpRequestInfo } from './http-types.js';

const START = Date.UTC(2026, 11, 7, 12, 0, 0);
const get = (headers: Record<string, string> = {}, method = 'GET', path = '/items/1'): HttpRequestInfo => ({ method, path, query: '', route: '/items/:id', headers: { host: 'api.example', ...headers } });

function setup(options: Parameters<typeof createHttpPipeline>[0] = {}) {
  const clock = createFakeClock(START);
  const pipeline = createHttpPipeline({ clock, ttl: 60, ...options });
  /** One request through the pipeline, with `handler` as the route's response when it runs. */
  const run = async (request: HttpRequestInfo, status = 200, headers: Record<string, string> = {}, body = 'payload') => {
    const action: PipelineAction = await pipeline.begin(request);
    if (action.type === 'respond') return { ran: false, ...action.response, body: action.response.body.toString() };
    if (!action.capture) return { ran: true, status, headers, body };
    const done = await action.capture.complete({ status, headers, body: Buffer.from(body) });
    await new Promise((resolve) => setImmediate(resolve)); // the save runs after the answer
    return { ran: true, status: done.status, headers: { ...headers, ...done.headers }, body: done.body.toString() };
  };
  return { clock, pipeline, run };
}

describe('http pipeline (RFC 9111)', () => {
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
