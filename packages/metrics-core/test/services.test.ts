import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisUrl, testRedis } from '@wai/test-services';

// Guards the shared test setup itself: every suite relies on it handing out a live Redis.
describe('test services', () => {
  it('provides a Redis that answers and a private key prefix', async () => {
    const redis = await testRedis('core');
    await redis.client.set(`${redis.prefix}k`, 'v');
    expect(await redis.client.get(`${redis.prefix}k`)).toBe('v');
    await redis.close();
    const check = new Redis(redisUrl());
    expect(await check.exists(`${redis.prefix}k`)).toBe(0);
    check.disconnect();
  });
});
