import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSchema, type TestSchema } from '@wai/test-services';
import { request, startServer, type ServerProcess } from '../helpers/server-process.js';
import { mixedRequests, runLoad } from '../helpers/load.js';

const LOAD_S = 20;
const RATE = Number(process.env.RELIABILITY_RATE ?? 200);

// The SQL cache tier (L3 on PostgreSQL) fails in the middle of a 20 s load: its table disappears and every
// one of its connections is killed, for 7 s; then it is restored. Data stays on SQLite, so the only fault is
// the tier.
describe('SQL tier outage under load', () => {
  let schema: TestSchema;
  let admin: pg.Client;
  let server: ServerProcess;
  const applicationName = `wai_l3_${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    schema = await testSchema('ref_l3');
    admin = new pg.Client({ connectionString: schema.connectionString });
    await admin.connect();
    const l3Url = `${schema.connectionString}&application_name=${applicationName}`;
    server = await startServer({ env: { CACHE_L3_URL: l3Url, RATE_LIMIT_MAX: '1000000', RATE_LIMIT_WRITE_MAX: '1000000', CACHE_L1_MAX_SIZE: '2000' } });
  });

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
    await admin?.end();
    await schema?.close();
  });

  const l3Rows = async () => Number((await admin.query('select count(*) as n from wai_cache')).rows[0].n);

  it('answers without 5xx and with p99 < 250 ms, and the tier comes back', async () => {
    await request(`${server.url}/api/workshops/1`);
    // Writes to L3 may be asynchronous: wait for the first row.
    const firstDeadline = Date.now() + 5000;
    while ((await l3Rows()) === 0 && Date.now() < firstDeadline) await new Promise((r) => setTimeout(r, 100));
    expect(await l3Rows()).toBeGreaterThan(0);

    const load = runLoad(server.url, mixedRequests(), { durationS: LOAD_S, rate: RATE });
    await new Promise((r) => setTimeout(r, 5000));
    await admin.query('alter table wai_cache rename to wai_cache_gone');
    const killer = setInterval(() => {
      admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [applicationName]).catch(() => {});
    }, 250);
    await new Promise((r) => setTimeout(r, 7000));
    clearInterval(killer);
    await admin.query('alter table wai_cache_gone rename to wai_cache');
    const summary = await load;
    console.log(`[sql-outage] ${JSON.stringify(summary)}`);

    expect(summary.fiveXx).toBe(0);
    expect(summary.errors).toBe(0);
    expect.soft(summary.total).toBeGreaterThan(LOAD_S * RATE * 0.9);
    // Soft: the recovery checks below still run (and report) when the latency bound is missed.
    // A stall check, not a speed figure: what it catches is requests waiting out reconnects or retried command
    // timeouts (hundreds of ms to seconds). Kept clear of the ~100 ms a loaded CI machine (two Node passes on two
    // cores) gives a healthy run; latency figures live in the benchmarks.
    expect.soft(summary.p99).toBeLessThan(250);

    // The tier is back: new entries land in the restored table again.
    await admin.query('delete from wai_cache');
    const deadline = Date.now() + 15_000;
    let rows = 0;
    while (Date.now() < deadline) {
      await request(`${server.url}/api/workshops/${20 + Math.floor(Math.random() * 30)}`, { headers: { 'cache-control': 'no-cache' } });
      rows = await l3Rows();
      if (rows > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(rows).toBeGreaterThan(0);
  });
});
