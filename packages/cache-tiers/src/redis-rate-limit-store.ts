import { createHash } from 'node:crypto';
import { ConfigError, ValidationError, type Clock, type RateLimitHit, type RateLimitStore } from '@wai/metrics-core';
import type { Cluster, Redis } from 'ioredis';
import { createCircuitBreaker, isCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { tierUnavailable } from './errors.js';

export interface RedisRateLimitStoreOptions {
  /** Prepended to every key. @default 'wai:rl:' */
  prefix?: string;
  /**
   * Time source. Absent: the Redis server's clock (`TIME` inside the script), so instances with skewed clocks
   * still share one window. Given (tests, a fake clock): this clock's `now()`.
   * @default the Redis server's time
   */
  clock?: Clock;
  /**
   * Stops calling Redis after it failed (the limiter then fails open) until a probe succeeds. Pass the breaker the
   * cache's Redis tier uses (`l2: { circuitBreaker }`) so one outage costs a request one command timeout, not one
   * per client; or options for a breaker of the store's own; `false` calls Redis every time.
   * @default a breaker of its own ({ failureThreshold: 3, resetTimeout: 1000 })
   */
  circuitBreaker?: CircuitBreaker | CircuitBreakerOptions | false;
}

export interface RedisRateLimitStore extends RateLimitStore {
  decrement(key: string, windowMs: number): Promise<void>;
  /** Does not close the client (it is the caller's). */
  close(): Promise<void>;
}

/**
 * Sliding-window counter (Cloudflare, "How we built rate limiting capable of scaling to millions of domains",
 * 2017) — the same algorithm as core's memory store: count = previous window × (1 − elapsed / windowMs) +
 * current window. One Redis hash per limited key holds, per window length, the fixed window index, the current
 * and the previous count; the whole read-roll-increment-expire runs in one Lua script, so concurrent instances
 * never lose an update. Every script call touches exactly one key, so it runs on Redis Cluster without
 * CROSSSLOT. ARGV: windowMs, now (-1 = use TIME), delta (+1 increment, -1 decrement).
 */
const SCRIPT = `
local key = KEYS[1]
local windowMs = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local delta = tonumber(ARGV[3])
if now < 0 then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local window = math.floor(now / windowMs)
local fieldWindow, fieldCurrent, fieldPrevious = ARGV[1] .. ':w', ARGV[1] .. ':c', ARGV[1] .. ':p'
local values = redis.call('HMGET', key, fieldWindow, fieldCurrent, fieldPrevious)
local stored = tonumber(values[1])
local current = tonumber(values[2]) or 0
local previous = tonumber(values[3]) or 0
if stored == nil then
  if delta < 0 then return {'0', '0', '0', '0'} end
  current, previous = 0, 0
elseif stored ~= window then
  if stored == window - 1 then previous = current else previous = 0 end
  current = 0
end
if delta > 0 then current = current + delta elseif current > 0 then current = current - 1 end
redis.call('HSET', key, fieldWindow, window, fieldCurrent, current, fieldPrevious, previous)
local ttl = (window + 2) * windowMs - now
if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
local start = window * windowMs
return {tostring(previous), tostring(current), tostring(start + windowMs - now), tostring(now - start)}
`;

const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

/** A `RateLimitStore` on Redis (or Redis Cluster) whose limits hold across every instance sharing it. */
export function redisRateLimitStore(client: Redis | Cluster, options: RedisRateLimitStoreOptions = {}): RedisRateLimitStore {
  if (client === null || typeof client !== 'object' || typeof (client as Redis).evalsha !== 'function') {
    throw new ConfigError('[wai:cache-tiers] redisRateLimitStore needs an ioredis client or Cluster');
  }
  const prefix = options.prefix ?? 'wai:rl:';
  if (typeof prefix !== 'string') throw new ConfigError('[wai:cache-tiers] redisRateLimitStore `prefix` must be a string');
  const clock = options.clock;
  const breakerOption = options.circuitBreaker ?? {};
  if (breakerOption !== false && (typeof breakerOption !== 'object' || breakerOption === null)) {
    throw new ConfigError('[wai:cache-tiers] redisRateLimitStore `circuitBreaker` must be a breaker, breaker options or false');
  }
  const breaker: CircuitBreaker | undefined =
    breakerOption === false ? undefined : isCircuitBreaker(breakerOption) ? breakerOption : createCircuitBreaker({ ...(clock ? { clock } : {}), ...breakerOption });

  const checkArguments = (key: string, windowMs: number): void => {
    if (typeof key !== 'string' || key.length === 0) throw new ValidationError('E_INVALID_KEY', '[wai:cache-tiers] rate-limit keys must be non-empty strings');
    if (!Number.isInteger(windowMs) || windowMs <= 0) throw new ValidationError('E_INVALID_ARGUMENT', `[wai:cache-tiers] windowMs must be an integer number of ms > 0, got ${String(windowMs)}`);
  };

  const evaluate = async (key: string, args: string[]): Promise<unknown> => {
    try {
      return await client.evalsha(SCRIPT_SHA, 1, prefix + key, ...args);
    } catch (error) {
      // First call on this server (or after SCRIPT FLUSH): send the body once; later calls use the SHA.
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return client.eval(SCRIPT, 1, prefix + key, ...args);
    }
  };

  const run = async (key: string, windowMs: number, delta: 1 | -1): Promise<[number, number, number, number]> => {
    const args = [String(windowMs), String(clock ? Math.floor(clock.now()) : -1), String(delta)];
    if (breaker && !breaker.allow()) throw tierUnavailable('l2', 'circuit open (rate-limit store)');
    let reply: unknown;
    try {
      reply = await evaluate(key, args);
    } catch (error) {
      breaker?.failure();
      throw error;
    }
    breaker?.success();
    const [previous, current, resetInMs, elapsed] = (reply as string[]).map(Number) as [number, number, number, number];
    return [previous, current, resetInMs, elapsed];
  };

  return {
    async increment(key: string, windowMs: number): Promise<RateLimitHit> {
      checkArguments(key, windowMs);
      const [previous, current, resetInMs, elapsed] = await run(key, windowMs, 1);
      return { count: previous * (1 - elapsed / windowMs) + current, resetInMs };
    },
    async decrement(key: string, windowMs: number): Promise<void> {
      checkArguments(key, windowMs);
      await run(key, windowMs, -1);
    },
    async reset(key: string): Promise<void> {
      if (typeof key !== 'string' || key.length === 0) throw new ValidationError('E_INVALID_KEY', '[wai:cache-tiers] rate-limit keys must be non-empty strings');
      await client.del(prefix + key);
    },
    async close(): Promise<void> {
      // The client belongs to the caller.
    },
  };
}
