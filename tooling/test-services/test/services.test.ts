import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { databaseUrl, redisUrl, startRedisServer, testRedis, testSchema } from '../src/index.js';

// The suites of every package lean on these helpers; if they hand out a dead service, everything else lies.
describe('test services', () => {
  it('hands out a live Redis and cleans a private prefix', async () => {
    const redis = await testRedis('services');
    await redis.client.set(`${redis.prefix}k`, 'v');
    expect(await redis.client.get(`${redis.prefix}k`)).toBe('v');
    await redis.close();
    const check = new Redis(redisUrl());
    expect(await check.exists(`${redis.prefix}k`)).toBe(0);
    check.disconnect();
  });

  it('starts a throwaway redis-server that can be killed and restarted on the same port', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    client.on('error', () => {});
    await client.set('k', '1');
    await server.kill();
    await expect(client.get('k')).rejects.toThrow();
    await server.restart();
    await new Promise((r) => setTimeout(r, 200));
    // persistence is off, so a restarted server is empty
    expect(await client.get('k')).toBeNull();
    client.disconnect();
    await server.close();
  });

  it('creates a private PostgreSQL schema and drops it on close', async () => {
    if (!databaseUrl()) {
      if (process.env.CI) throw new Error('CI is set but no PostgreSQL is reachable');
      return;
    }
    const schema = await testSchema('services');
    await schema.pool.query('create table t (x int)');
    await schema.pool.query('insert into t values (1)');
    const { rows } = await schema.pool.query('select count(*)::int as n from t');
    expect(rows[0].n).toBe(1);
    await schema.close();
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: databaseUrl() });
    await client.connect();
    const left = await client.query('select 1 from information_schema.schemata where schema_name = $1', [schema.schema]);
    await client.end();
    expect(left.rowCount).toBe(0);
  });
});
