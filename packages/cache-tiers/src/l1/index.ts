export { createMemoryTier, type EvictionReason, type MemoryTier, type MemoryTierOptions } from './memory-tier.js';
export { estimateStringBytes, estimateValueBytes } from './estimate-size.js';
