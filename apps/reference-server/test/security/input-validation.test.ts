import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type ServerProcess } from '../helpers/server-process.js';
import { PRODUCTION_MODES, rawExchange, startProduction } from './security-helpers.js';

const WORKSHOP = { title: 'Dates', description: 'Calendar checks', capacity: 10 };
const ERROR_SHAPE = { error: { code: expect.any(String), message: expect.any(String) } };

describe.each(PRODUCTION_MODES)('bad input ($name)', (mode) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startProduction(mode, { RATE_LIMIT_WRITE_MAX: '10000' });
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });
  const post = (body: unknown) => request(`${server.url}/api/workshops`, { method: 'POST', body });

  // Issue 19, row 7.
  it('row 7: dates that do not exist, or fall outside years 0000–9999 in UTC, are 400 with the reason', async () => {
    for (const [startsAt, reason] of [
      ['2027-02-31T10:00:00Z', 'no day 31 in 2027-02'],
      ['2027-02-29T10:00:00Z', 'no day 29 in 2027-02'],
      ['2100-02-29T10:00:00Z', 'no day 29 in 2100-02'],
      ['2027-04-31T10:00:00Z', 'no day 31'],
      ['2027-13-01T10:00:00Z', 'no month 13'],
      ['2027-01-01T24:00:00Z', 'no time 24:00:00'],
      ['2027-01-01T10:60:00Z', 'no time'],
      ['2027-01-01T10:00:60Z', 'no time'],
      ['2027-01-01T10:00:00+24:00', 'offset out of range'],
      ['9999-12-31T23:59:59-23:59', 'outside years 0000–9999'],
      ['0000-01-01T00:00:00+00:01', 'outside years 0000–9999'],
      ['2027-01-01 10:00:00Z', 'not an RFC 3339 date-time'],
      ['+010000-01-01T00:00:00Z', 'not an RFC 3339 date-time'],
    ]) {
      const result = await post({ ...WORKSHOP, startsAt });
      expect(result.status, startsAt).toBe(400);
      expect(result.body, startsAt).toEqual({ error: { code: 'E_VALIDATION', message: expect.stringContaining(reason!) } });
    }
    for (const [startsAt, stored] of [
      ['2024-02-29T10:00:00Z', '2024-02-29T10:00:00.000Z'],
      ['2000-02-29T23:30:00-01:00', '2000-03-01T00:30:00.000Z'],
      ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00.000Z'],
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ]) {
      const result = await post({ ...WORKSHOP, startsAt });
      expect(result.status, startsAt).toBe(201);
      expect(result.body.startsAt).toBe(stored);
    }
    expect((await request(`${server.url}/api/workshops?from=2027-02-30T00:00:00Z`)).status).toBe(400);
    expect((await request(`${server.url}/api/workshops?to=2027-02-28T00:00:00Z`)).status).toBe(200);
    expect((await request(`${server.url}/api/workshops/1`, { method: 'PUT', body: { startsAt: '2027-06-31T00:00:00Z' } })).status).toBe(400);
  });

  // Issue 19, row 8.
  it('row 8: only canonical positive integer ids; every other spelling is 400 on GET, PUT and DELETE', async () => {
    expect((await request(`${server.url}/api/workshops/19`)).status).toBe(200);
    for (const id of ['0x13', '1e1', '+19', '19.0', '%20%31%39', '019', '0', '-1', '2147483648', '99999999999', '19%00', 'abc']) {
      const read = await request(`${server.url}/api/workshops/${id}`);
      expect(read.status, id).toBe(400);
      expect(read.body, id).toEqual({ error: { code: 'E_VALIDATION', message: expect.stringContaining('positive integer') } });
      expect(read.headers.get('x-cache'), id).not.toBe('HIT');
    }
    expect((await request(`${server.url}/api/workshops/019`, { method: 'PUT', body: { capacity: 5 } })).status).toBe(400);
    expect((await request(`${server.url}/api/workshops/0x13`, { method: 'DELETE' })).status).toBe(400);
  });

  // Issue 19, row 9.
  it("row 9: the framework's own errors come back as { error: { code, message } } with an accurate message", async () => {
    const long = await request(`${server.url}/api/workshops/${'1'.repeat(250)}`);
    expect(long.status).toBe(414);
    expect(long.body).toEqual({ error: { code: 'E_URI_TOO_LONG', message: expect.stringContaining('longer than 200') } });
    const badEncoding = await request(`${server.url}/api/workshops/%zz`);
    expect(badEncoding.status).toBe(400);
    expect(badEncoding.body).toEqual({ error: { code: 'E_BAD_URL', message: expect.stringContaining('percent-encoding') } });
    const bigHeader = await rawExchange(server.port, `GET /api/workshops/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(bigHeader.status).toBe(431);
    expect(bigHeader.json).toEqual({ error: { code: 'E_HEADERS_TOO_LARGE', message: expect.stringContaining('16 KiB') } });
    const bigQuery = await rawExchange(server.port, `GET /api/workshops?q=${'a'.repeat(60_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect(bigQuery.status).toBe(431);
    expect(bigQuery.json).toEqual(ERROR_SHAPE);
    const garbage = await rawExchange(server.port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage.status).toBe(400);
    expect(garbage.json).toEqual(ERROR_SHAPE);
    const proto = await post('{"__proto__":{"admin":true},"title":"x"}');
    expect(proto.status).toBe(400);
    expect(proto.body).toEqual({ error: { code: 'E_VALIDATION', message: expect.stringContaining('__proto__') } });
    const constructor = await post('{"constructor":{"prototype":{"admin":true}}}');
    expect(constructor.body).toEqual({ error: { code: 'E_VALIDATION', message: expect.stringContaining('constructor.prototype') } });
  });

  // Issue 19, row 10.
  it('row 10: DELETE with Content-Type: application/json and no body is 204 (or 404 when absent)', async () => {
    const created = await post({ ...WORKSHOP, startsAt: '2027-03-01T10:00:00Z' });
    const headers = { 'content-type': 'application/json' };
    expect((await request(`${server.url}/api/workshops/${created.body.id}`, { method: 'DELETE', headers })).status).toBe(204);
    const again = await request(`${server.url}/api/workshops/${created.body.id}`, { method: 'DELETE', headers });
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
    const emptyPost = await request(`${server.url}/api/workshops`, { method: 'POST', headers, body: '' });
    expect(emptyPost.status).toBe(400);
    expect(emptyPost.body).toEqual({ error: { code: 'E_VALIDATION', message: expect.stringContaining('body must be object') } });
  });

  it('bad JSON is E_VALIDATION (row 9), and the checks that already held: unknown fields, wrong types, too large, wrong media type, SQL in q', async () => {
    expect((await post('{"title":')).body).toEqual({ error: { code: 'E_VALIDATION', message: expect.stringContaining('not valid JSON') } });
    expect((await post({ ...WORKSHOP, startsAt: '2027-03-01T10:00:00Z', admin: true })).status).toBe(400);
    expect((await post({ ...WORKSHOP, startsAt: '2027-03-01T10:00:00Z', capacity: '10' })).status).toBe(400);
    const large = await post({ ...WORKSHOP, startsAt: '2027-03-01T10:00:00Z', description: 'x'.repeat(70_000) });
    expect(large.status).toBe(413);
    expect(large.body).toEqual(ERROR_SHAPE);
    const text = await request(`${server.url}/api/workshops`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
    expect(text.status).toBe(415);
    expect(text.body).toEqual(ERROR_SHAPE);
    const injection = await request(`${server.url}/api/workshops?q=${encodeURIComponent("' or 1=1; drop table workshops; --")}`);
    expect(injection.status).toBe(200);
    expect(injection.body.total).toBe(0);
    expect((await request(`${server.url}/api/workshops?pageSize=1`)).body.total).toBeGreaterThan(0);
    expect((await request(`${server.url}/api/workshops?pageSize=1000`)).status).toBe(400);
    expect((await request(`${server.url}/api/nope`)).body).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
  });
});
