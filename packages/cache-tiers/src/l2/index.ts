export { createRedisTier, isCluster, type RedisClient, type RedisTier, type RedisTierOptions } from './redis-tier.js';
export { redisKeys, type RedisKeys } from './redis-keys.js';
