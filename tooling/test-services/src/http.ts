/**
 * HTTP test helpers the Express and Fastify adapter suites share (`@wai/test-services/http`): a loopback
 * listener for any Node request handler, polling for effects that land after a response, and a Redis rate-limit
 * store for the shared-limit tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';

export interface Listening {
  /** `http://127.0.0.1:PORT` */
  url: string;
  server: Server;
  /** Closes open connections, then the server. */
  close(): Promise<void>;
}

/** Serves `handler` (an Express app, or any Node request listener) on 127.0.0.1, port 0. */
export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits until `check` holds (polling), for effects that land after the response (close events, background work). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The `RateLimitStore` shape of @wai/metrics-core (structural: this package depends on no @wai package). */
export interface TestRateLimitStore {
  increment(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  reset(key: string): Promise<void>;
}

/**
 * A test-only Redis sliding-window counter (the real one ships in @wai/cache-tiers, which the adapters must not
 * depend on): the Cloudflare algorithm of the memory store, computed atomically in one Lua script with Redis's
 * own clock, so every app instance shares one count. Keys: `<prefix>{<key>}:<windowMs>:<index>`.
 */
const INCREMENT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local index = math.floor(now / window)
local current = KEYS[1] .. ':' .. window .. ':' .. index
local count = redis.call('INCR', current)
if count == 1 then redis.call('PEXPIRE', current, window * 2) end
local previous = tonumber(redis.call('GET', KEYS[1] .. ':' .. window .. ':' .. (index - 1)) or '0')
local elapsed = now - index * window
return { tostring(previous * (1 - elapsed / window) + count), window - elapsed }
`;

export function createTestRedisRateLimitStore(client: Redis, prefix: string): TestRateLimitStore {
  const base = (key: string) => `${prefix}{${key}}`;
  return {
    async increment(key, windowMs) {
      const [count, resetInMs] = (await client.eval(INCREMENT, 1, base(key), windowMs)) as [string, number];
      return { count: Number(count), resetInMs: Number(resetInMs) };
    },
    async reset(key) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${base(key)}:*`, 'COUNT', 100);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
    },
  };
}

/** How `adaptiveLimitTrace` drives one adapter's adaptive rate limit. */
export interface AdaptiveLimitProbe {
  /** Sends one request and returns its `RateLimit-Limit`. */
  limitNow(): Promise<number>;
  /** Switches the injected load signal between stressed and calm. */
  stress(on: boolean): void;
  /** Moves the fake clock the limiter runs on. */
  advance(ms: number): void;
}

/**
 * The limits an adaptive (AIMD) rate limit announces through one stress-and-recovery cycle: one calm request,
 * two stressed seconds, then four calm ones, a request each. With `max: 8`, `decreaseFactor: 0.5`,
 * `increaseStep: 0.25`, `minDwellMs: 0` and `evaluateIntervalMs: 1000` an adapter shows `[8, 4, 2, 4, 6, 8, 8]`.
 */
export async function adaptiveLimitTrace(probe: AdaptiveLimitProbe): Promise<number[]> {
  const limits = [await probe.limitNow()];
  probe.stress(true);
  for (let second = 0; second < 2; second++) {
    probe.advance(1000);
    limits.push(await probe.limitNow());
  }
  probe.stress(false);
  for (let second = 0; second < 4; second++) {
    probe.advance(1000);
    limits.push(await probe.limitNow());
  }
  return limits;
}
