import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

export { ALERTMANAGER_BIN, hasAlertmanager, startAlertmanager, type AlertmanagerHandle } from './alertmanager.js';
export { pipelinedGets, responseCount } from './http-pipeline.js';
export { spawnHttpService, type HttpServiceProcess } from './http-service.js';
export { freePort } from './ports.js';
export { startTcpProxy, startTcpProxyThread, type TcpProxy, type TcpProxyThread } from './tcp-proxy.mjs';
export { mulberry32 } from './random.js';
export { startRedisServer, startRedisCluster, hasRedisServer, type RedisServerHandle, type RedisClusterHandle } from './redis-server.js';

/**
 * The Redis URL for tests (set by the global setup). Throws when none could be had: a suite that needs
 * Redis must not pass silently without it.
 */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('[wai:test-services] no Redis for this test run (set REDIS_URL or install redis-server)');
  return url;
}

/** The PostgreSQL URL for tests, or `undefined` when none is reachable outside CI. */
export function databaseUrl(): string | undefined {
  return process.env.DATABASE_URL || undefined;
}

/** A prefix no other test run on the shared Redis uses, e.g. `wai-test:cache:3f9a1c2b:`. */
export function uniquePrefix(name: string): string {
  return `wai-test:${name}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS) — for test clean-up only. */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

/** A Redis client on the test Redis whose keys under `prefix` are deleted by `close()`. */
export async function testRedis(name: string): Promise<{ client: Redis; prefix: string; close(): Promise<void> }> {
  const prefix = uniquePrefix(name);
  const client = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  return {
    client,
    prefix,
    close: async () => {
      await deleteKeysWithPrefix(client, prefix);
      client.disconnect();
    },
  };
}

export interface TestSchema {
  schema: string;
  /** A pool whose connections use the schema (search_path). */
  pool: pg.Pool;
  connectionString: string;
  /** Drops the schema (CASCADE) and ends the pool. */
  close(): Promise<void>;
}

/** Creates a fresh PostgreSQL schema for one test file. Throws when no PostgreSQL is reachable. */
export async function testSchema(name: string): Promise<TestSchema> {
  const url = databaseUrl();
  if (!url) throw new Error('[wai:test-services] no PostgreSQL for this test run (set DATABASE_URL or start the local one)');
  const schema = `wai_test_${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema "${schema}"`);
  await admin.end();
  const separator = url.includes('?') ? '&' : '?';
  const connectionString = `${url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const pool = new pg.Pool({ connectionString, max: 5 });
  return {
    schema,
    pool,
    connectionString,
    close: async () => {
      await pool.end().catch(() => {});
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`drop schema if exists "${schema}" cascade`);
      await cleanup.end();
    },
  };
}
