import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from '@wai/test-services';
import { request, startServer, type ServerProcess } from '../helpers/server-process.js';
import { mixedRequests, runLoad } from '../helpers/load.js';

const LOAD_S = 20;
const RATE = Number(process.env.RELIABILITY_RATE ?? 200);

async function analytics(server: ServerProcess): Promise<{ tiers: Record<string, { available?: boolean; hits: number; errors: number }> }> {
  const body = (await request(`${server.url}/api/performance/enhanced/analytics`)).body;
  return body.cache;
}

// Redis (L2 + bus + rate-limit counters) killed in the middle of a 20 s load, then restarted.
describe('Redis outage under load', () => {
  let redis: RedisServerHandle;
  let a: ServerProcess;
  let b: ServerProcess;
  const dataDir = mkdtempSync(join(tmpdir(), 'wai-ref-redis-'));

  beforeAll(async () => {
    redis = await startRedisServer();
    const env = { REDIS_URL: redis.url, CACHE_NAMESPACE: 'outage', RATE_LIMIT_MAX: '1000000', RATE_LIMIT_WRITE_MAX: '1000000', CACHE_L1_MAX_SIZE: '2000' };
    a = await startServer({ dataDir, env });
    b = await startServer({ dataDir, env });
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers without 5xx and with p99 < 250 ms, and L2 and the bus come back after the restart', async () => {
    expect((await analytics(a)).tiers.l2?.available).not.toBe(false);
    const load = runLoad(a.url, mixedRequests(), { durationS: LOAD_S, rate: RATE });
    await new Promise((r) => setTimeout(r, 5000));
    await redis.kill();
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, 7000));
    await redis.restart();
    const restartedAt = Date.now();
    const summary = await load;
    console.log(`[redis-outage] down ${restartedAt - killedAt} ms; ${JSON.stringify(summary)}`);

    expect(summary.fiveXx).toBe(0);
    expect(summary.errors).toBe(0);
    expect.soft(summary.total).toBeGreaterThan(LOAD_S * RATE * 0.9);
    // Soft: the recovery checks below still run (and report) when the latency bound is missed.
    // A stall check, not a speed figure: what it catches is requests waiting out reconnects or retried command
    // timeouts (hundreds of ms to seconds). Kept clear of the ~100 ms a loaded CI machine (two Node passes on two
    // cores) gives a healthy run; latency figures live in the benchmarks.
    expect.soft(summary.p99).toBeLessThan(250);

    // L2 reconnects: writes land in the restarted Redis (it came back empty).
    const client = new Redis(redis.url);
    try {
      let keys = 0;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        await request(`${a.url}/api/workshops/${40 + Math.floor(Math.random() * 10)}`, { headers: { 'cache-control': 'no-cache' } });
        keys = await client.dbsize();
        if (keys > 0 && (await analytics(a)).tiers.l2?.available !== false) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(keys).toBeGreaterThan(0);
      expect((await analytics(a)).tiers.l2?.available).not.toBe(false);
    } finally {
      client.disconnect();
    }

    // The bus is back: B's cached copy is invalidated by a write through A.
    await request(`${b.url}/api/workshops/2`);
    expect((await request(`${b.url}/api/workshops/2`)).headers.get('x-cache')).toBe('HIT');
    const title = `after restart ${Date.now()}`;
    let seen = '';
    const deadline = Date.now() + 10_000;
    // The bus subscriber may take a moment to resubscribe after the restart; retry the write until B sees it.
    while (Date.now() < deadline && seen !== title) {
      expect((await request(`${a.url}/api/workshops/2`, { method: 'PUT', body: { title } })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      seen = (await request(`${b.url}/api/workshops/2`)).body.title;
    }
    expect(seen).toBe(title);
    const start = performance.now();
    const second = `${title} (2)`;
    await request(`${a.url}/api/workshops/2`, { method: 'PUT', body: { title: second } });
    while ((await request(`${b.url}/api/workshops/2`)).body.title !== second && performance.now() - start < 1000) await new Promise((r) => setTimeout(r, 2));
    expect(performance.now() - start).toBeLessThan(100);
  });
});
