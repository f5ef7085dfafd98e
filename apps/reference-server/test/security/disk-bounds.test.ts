import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '@wai/cache-tiers';
import { afterEach, describe, expect, it } from 'vitest';
import { request, type ServerProcess } from '../helpers/server-process.js';
import { PRODUCTION_MODES, sleep, startProduction } from './security-helpers.js';

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/** Live (non-tombstone) rows of the L3 tier whose key matches `pattern`, read through a second connection. */
function countL3Rows(dataDir: string, pattern: string): number {
  const path = join(dataDir, 'cache.db');
  if (!existsSync(path)) throw new Error(`no L3 file at ${path}`);
  const database = openSqlite(path);
  try {
    const row = database.prepare('select count(*) as n from wai_cache where key like ? and length(value) > 0').get(pattern) as { n: number };
    return row.n;
  } finally {
    database.close();
  }
}

describe.each(PRODUCTION_MODES)('on-disk bounds ($name)', (mode) => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server?.cleanup();
    server = undefined;
  });

  // Issue 19, row 12.
  it('row 12: at most NEGATIVE_CACHE_MAX missing ids stay cached, and 404 responses are not stored', async () => {
    server = await startProduction(mode, { NEGATIVE_CACHE_MAX: '20' });
    for (let id = 100_000; id < 100_150; id += 1) {
      const missing = await request(`${server.url}/api/workshops/${id}`);
      expect(missing.status).toBe(404);
    }
    const again = await request(`${server.url}/api/workshops/100149`);
    expect(again.status).toBe(404);
    expect(again.headers.get('x-cache')).toBe('MISS');
    expect(countL3Rows(server.dataDir, 'workshop:1000%')).toBeLessThanOrEqual(20);
    expect(countL3Rows(server.dataDir, 'http:%/api/workshops/1000%')).toBe(0);
    // Found ids are cached as before.
    await request(`${server.url}/api/workshops/3`);
    expect((await request(`${server.url}/api/workshops/3`)).headers.get('x-cache')).toBe('HIT');
  });

  // Issue 19, row 11.
  it('row 11: cache.db stays under CACHE_L3_MAX_BYTES and cache.db-wal under CACHE_L3_WAL_MAX_BYTES while 250 distinct URLs are cached', async () => {
    const maxBytes = 1024 * 1024;
    const walMaxBytes = 256 * 1024;
    server = await startProduction(mode, {
      CACHE_L3_MAX_BYTES: String(maxBytes),
      CACHE_L3_WAL_MAX_BYTES: String(walMaxBytes),
      CACHE_L3_MAINTENANCE_MS: '500',
      RESPONSE_CACHE_TTL: '2',
    });
    const dbPath = join(server.dataDir, 'cache.db');
    let peakDb = 0;
    let peakWal = 0;
    const statuses = new Map<number, number>();
    // Each list page of up to 100 workshops is ~20 KB, stored as a response and as query results: 250 distinct
    // ones would be ~10 MB without a bound. Four clients at once.
    let next = 0;
    const client = async () => {
      for (let i = next++; i < 250; i = next++) {
        const from = new Date(Date.UTC(2020, 0, 1) + i * 1000).toISOString();
        const response = await fetch(`${server!.url}/api/workshops?pageSize=100&from=${from}`);
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (i % 10 === 0) {
          peakDb = Math.max(peakDb, size(dbPath));
          peakWal = Math.max(peakWal, size(`${dbPath}-wal`));
        }
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    expect(Object.fromEntries(statuses)).toEqual({ 200: 250 });
    expect((await request(`${server.url}/api/performance/enhanced/health`)).status).toBe(200);
    if (mode.token !== undefined) {
      // Dropped rows give their pages back to the file system at the next maintenance run (incremental vacuum).
      const cleared = await request(`${server.url}/api/performance/enhanced/cache/invalidate`, { method: 'POST', body: { all: true }, headers: { authorization: `Bearer ${mode.token}` } });
      expect(cleared.status).toBe(200);
    }
    // The checkpoint, purge and vacuum run every 500 ms.
    await sleep(2000);
    const finalDb = size(dbPath);
    const finalWal = size(`${dbPath}-wal`);
    peakDb = Math.max(peakDb, finalDb);
    peakWal = Math.max(peakWal, finalWal);
    console.info(`[row 11] cache.db peak ${peakDb} B, final ${finalDb} B (cap ${maxBytes}); cache.db-wal peak ${peakWal} B, final ${finalWal} B (limit ${walMaxBytes})`);
    expect(peakDb).toBeLessThanOrEqual(maxBytes);
    expect(finalWal).toBeLessThanOrEqual(walMaxBytes);
    // The WAL may pass its limit inside one checkpoint interval, never by more than one autocheckpoint's worth.
    expect(peakWal).toBeLessThanOrEqual(3 * walMaxBytes);
    if (mode.token !== undefined) expect(finalDb).toBeLessThan(peakDb / 2);
  });
});
