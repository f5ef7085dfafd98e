import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type ServerProcess } from '../helpers/server-process.js';
import { PRODUCTION_MODES, startProduction } from './security-helpers.js';

const WORKSHOP = { title: 'Limits', description: 'One allowance across every write route', startsAt: '2027-05-01T09:00:00Z', capacity: 10 };

// Issue 19, row 5: RATE_LIMIT_WRITE_MAX writes per client per window across POST, PUT and DELETE together.
describe.each(PRODUCTION_MODES)('row 5: one write allowance per client ($name)', (mode) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startProduction(mode, { RATE_LIMIT_WRITE_MAX: '6', RATE_LIMIT_WINDOW_MS: '60000' });
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('POST, PUT and DELETE share one count; the 7th write of any kind is 429; reads still pass', async () => {
    const statuses: number[] = [];
    const created = await request(`${server.url}/api/workshops`, { method: 'POST', body: WORKSHOP });
    statuses.push(created.status);
    const id = created.body.id as number;
    statuses.push((await request(`${server.url}/api/workshops`, { method: 'POST', body: WORKSHOP })).status);
    statuses.push((await request(`${server.url}/api/workshops/${id}`, { method: 'PUT', body: { capacity: 11 } })).status);
    statuses.push((await request(`${server.url}/api/workshops/${id}`, { method: 'PUT', body: { capacity: 12 } })).status);
    statuses.push((await request(`${server.url}/api/workshops/${id}`, { method: 'DELETE' })).status);
    statuses.push((await request(`${server.url}/api/workshops/${id}`, { method: 'DELETE' })).status);
    expect(statuses).toEqual([201, 201, 200, 200, 204, 404]);
    for (const [method, path, body] of [
      ['DELETE', '/api/workshops/1', undefined],
      ['POST', '/api/workshops', WORKSHOP],
      ['PUT', '/api/workshops/2', { capacity: 3 }],
    ] as const) {
      const refused = await request(`${server.url}${path}`, { method, ...(body ? { body } : {}), headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(refused.status, method).toBe(429);
      expect(refused.body).toMatchObject({ error: { code: 'E_RATE_LIMITED' } });
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    expect((await request(`${server.url}/api/workshops/2`)).status).toBe(200);
  });
});
