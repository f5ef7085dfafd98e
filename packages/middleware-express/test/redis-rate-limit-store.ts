import type { RateLimitHit, RateLimitStore } from '@wai/metrics-core';
import type { Redis } from 'ioredis';

/**
 * A test-only Redis `RateLimitStore` (the real one ships in @wai/cache-tiers, which the adapters must not
 * depend on). Same Cloudflare sliding-window counter as the memory store, computed atomically in one Lua
 * script with Redis's own clock, so every app instance shares one count. Keys: `<prefix>{<key>}:<windowMs>:<index>`.
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

export function createTestRedisRateLimitStore(client: Redis, prefix: string): RateLimitStore {
  const base = (key: string) => `${prefix}{${key}}`;
  return {
    async increment(key: string, windowMs: number): Promise<RateLimitHit> {
      const [count, resetInMs] = (await client.eval(INCREMENT, 1, base(key), windowMs)) as [string, number];
      return { count: Number(count), resetInMs: Number(resetInMs) };
    },
    async reset(key: string): Promise<void> {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${base(key)}:*`, 'COUNT', 100);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
    },
  };
}
