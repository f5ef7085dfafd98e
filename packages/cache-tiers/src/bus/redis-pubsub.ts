import type { RedisTier, RedisClient } from '../l2/redis-tier.js';

/**
 * One subscriber connection per cache for the invalidation bus and lease wake-ups. Classic (not sharded)
 * pub/sub: on a Redis Cluster a PUBLISH reaches subscribers on every node.
 */
export interface PubSub {
  subscribe(channel: string, handler: (message: string) => void): Promise<void>;
  publish(channel: string, message: string): Promise<number>;
  /** True while the subscriber connection is ready (messages can be missed otherwise). */
  readonly connected: boolean;
  close(): Promise<void>;
}

export interface PubSubOptions {
  /** Called when the subscriber is ready again after a disconnect (messages may have been missed). */
  onReconnect?: () => void;
  onError?: (error: Error) => void;
}

export function createRedisPubSub(tier: RedisTier, options: PubSubOptions = {}): PubSub {
  const subscriber: RedisClient = tier.duplicate();
  const handlers = new Map<string, (message: string) => void>();
  let wasReady = false;
  let connected = false;
  subscriber.on('ready', () => {
    connected = true;
    if (wasReady) options.onReconnect?.();
    wasReady = true;
  });
  subscriber.on('close', () => {
    connected = false;
  });
  subscriber.on('end', () => {
    connected = false;
  });
  subscriber.on('message', (channel: string, message: string) => {
    handlers.get(channel)?.(message);
  });
  return {
    async subscribe(channel, handler) {
      handlers.set(channel, handler);
      await subscriber.subscribe(channel);
      connected = true;
      wasReady = true;
    },
    publish: (channel, message) => tier.publish(channel, message),
    get connected() {
      return connected;
    },
    async close() {
      handlers.clear();
      subscriber.disconnect();
    },
  };
}
