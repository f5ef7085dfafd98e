import { ConfigError } from '@wai/metrics-core';

/**
 * Key layout. Every key starts with the hash tag `{namespace}`, so Redis Cluster puts a namespace's entries,
 * tag indexes, tag stamps and leases in one slot: multi-key scripts (set + index, delete by tag) never fail
 * with CROSSSLOT (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
 * The price is that one namespace lives on one shard; spread load across shards with several namespaces.
 */
export interface RedisKeys {
  entry(key: string): string;
  tag(tag: string): string;
  tagStamp(tag: string): string;
  lease(key: string): string;
  /** The namespace's logical clock (never deleted by `clear`). */
  clock: string;
  /** The version of the namespace's last `clear` (never deleted by `clear`). */
  cleared: string;
  channel(name: string): string;
  /** SCAN pattern matching every key of the namespace. */
  pattern: string;
}

export function assertValidNamespace(namespace: string): void {
  if (typeof namespace !== 'string' || !/^[A-Za-z0-9_.:-]{1,100}$/.test(namespace)) {
    throw new ConfigError(`[wai:cache-tiers] namespace must be 1-100 characters of A-Z a-z 0-9 _ . : - (got ${JSON.stringify(namespace)})`);
  }
}

export function redisKeys(namespace: string): RedisKeys {
  const prefix = `{${namespace}}:`;
  return {
    entry: (key) => `${prefix}e:${key}`,
    tag: (tag) => `${prefix}t:${tag}`,
    tagStamp: (tag) => `${prefix}s:${tag}`,
    lease: (key) => `${prefix}l:${key}`,
    clock: `${prefix}v`,
    cleared: `${prefix}c`,
    channel: (name) => `${prefix}${name}`,
    // `{` and `}` are literal in SCAN's glob; the namespace's own characters are glob-safe by validation.
    pattern: `${prefix}*`,
  };
}
