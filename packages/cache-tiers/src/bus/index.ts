export { createRedisPubSub, type PubSub, type PubSubOptions } from './redis-pubsub.js';
export { parseBusMessage, type BusMessage } from './messages.js';
