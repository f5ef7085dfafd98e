// `@wai/cache-tiers/keyv`: the Keyv store adapter (a separate entry, so the main one carries nothing Keyv-specific).
export { createKeyvStore, type KeyvCacheStore, type KeyvCacheStoreOptions } from './keyv/keyv-store.js';
