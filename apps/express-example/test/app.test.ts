import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp, type ExampleApp } from '../src/app.js';

// The guide's Express example over real HTTP.
describe('express example', () => {
  let example: ExampleApp;
  let url: string;

  beforeAll(async () => {
    example = createExampleApp({ rateLimitMax: 30, queryDelayMs: 2 });
    await new Promise<void>((resolve) => example.server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(example.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await example?.close();
  });

  it('caches reads and invalidates them on a write', async () => {
    const first = await fetch(`${url}/api/workshops/3`);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const before = (await first.json()) as { registrations: number };
    const second = await fetch(`${url}/api/workshops/3`);
    expect(second.headers.get('x-cache')).toBe('HIT');
    await second.arrayBuffer();

    const registered = await fetch(`${url}/api/workshops/3/registrations`, { method: 'POST' });
    expect(registered.status).toBe(201);
    await registered.arrayBuffer();
    const after = await fetch(`${url}/api/workshops/3`);
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(((await after.json()) as { registrations: number }).registrations).toBe(before.registrations + 1);
  });

  it('exports the custom metric and times the route by its template', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/^wai_custom_workshop_registrations\{workshop="3"\} \d+$/m);
    expect(text).toMatch(/http_server_request_duration_seconds_count\{http_route="\/api\/workshops\/:id"/);
  });

  it('reports database operations to the monitor', async () => {
    // The analyzer context lends the operations; the monitor keeps them per kind and name.
    const seen: string[] = [];
    example.performanceSystem.monitor.use({
      name: 'probe',
      analyze(context) {
        for (const operation of context.operations) seen.push(`${operation.kind}:${operation.name}:${operation.count}`);
        return {};
      },
    });
    await example.performanceSystem.monitor.sample();
    expect(seen.some((s) => s.startsWith('db:SELECT workshop by id:'))).toBe(true);
    expect(seen.some((s) => s.startsWith('db:UPDATE workshop registrations:'))).toBe(true);
  });

  it('serves the dashboard and rate-limits the API', async () => {
    const dashboard = await fetch(`${url}/api/performance/enhanced/dashboard`);
    expect(dashboard.status).toBe(200);
    const body = (await dashboard.json()) as { overview: { healthScore: number } };
    expect(typeof body.overview.healthScore).toBe('number');

    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await fetch(`${url}/api/workshops`);
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toContain(429);
  });
});
