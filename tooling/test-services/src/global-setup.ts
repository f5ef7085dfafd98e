import pg from 'pg';
import { Redis } from 'ioredis';
import { hasRedisServer, startRedisServer, type RedisServerHandle } from './redis-server.js';

/**
 * vitest globalSetup: makes a Redis and (where one can be had) a PostgreSQL available to every test file
 * through `inject('redisUrl')` / `inject('databaseUrl')` and the `REDIS_URL` / `DATABASE_URL` variables.
 *
 * Order: the variables when set; otherwise a throwaway `redis-server` on a free port, and the local
 * PostgreSQL at 127.0.0.1:5432/test when it answers. With `CI` set, a service that cannot be had fails
 * the run loudly instead of letting suites skip.
 */
const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

interface ProvideContext {
  provide(key: string, value: unknown): void;
}

let owned: RedisServerHandle | undefined;

export async function setup(context: ProvideContext): Promise<void> {
  const strict = Boolean(process.env.CI);
  let redisUrl = process.env.REDIS_URL;
  if (redisUrl) {
    if (!(await redisAnswers(redisUrl))) throw new Error(`[wai:test-services] REDIS_URL=${redisUrl} does not answer PING`);
  } else if (hasRedisServer()) {
    owned = await startRedisServer();
    redisUrl = owned.url;
  } else if (strict) {
    throw new Error('[wai:test-services] CI is set but there is no REDIS_URL and no redis-server binary to start one');
  }

  let databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    if (!(await postgresAnswers(databaseUrl))) throw new Error(`[wai:test-services] DATABASE_URL=${databaseUrl} does not answer`);
  } else if (await postgresAnswers(LOCAL_DATABASE_URL)) {
    databaseUrl = LOCAL_DATABASE_URL;
  } else if (strict) {
    throw new Error('[wai:test-services] CI is set but no PostgreSQL is reachable (set DATABASE_URL or start the local one)');
  }

  if (redisUrl) process.env.REDIS_URL = redisUrl;
  if (databaseUrl) process.env.DATABASE_URL = databaseUrl;
  context.provide('redisUrl', redisUrl ?? '');
  context.provide('databaseUrl', databaseUrl ?? '');
}

export async function teardown(): Promise<void> {
  await owned?.close();
  owned = undefined;
}
