import { createHash } from 'node:crypto';
import { ConfigError, systemClock, type Clock } from '@wai/metrics-core';
import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { CacheEntry, CacheTier, VersionedTier } from '../tier.js';
import { createCodec, type Serializer } from '../serializer.js';
import { DEFAULT_FILL_WINDOW_MS, DEFAULT_MAX_TAG_AGE_MS } from '../tag-store.js';
import { assertValidNamespace, redisKeys, type RedisKeys } from './redis-keys.js';
import { SCRIPTS } from './redis-scripts.js';
import { createCoarseNow } from '../cache/coarse-now.js';

export type RedisClient = Redis | Cluster;

export interface RedisTierOptions {
  /**
   * A URL (`redis://…`), ioredis options, an ioredis client or a `Cluster` (a cluster may also be given as
   * `{ cluster: nodes, options? }`). Clients passed in are never closed by `close()`.
   * @default process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
   */
  redis?: string | RedisOptions | RedisClient | { cluster: ClusterNode[]; options?: ClusterOptions };
  /** Every key is `{namespace}:…`: the hash tag keeps one namespace on one cluster slot (no CROSSSLOT). @default 'wai' */
  namespace?: string;
  /** @default jsonSerializer */
  serializer?: Serializer;
  /** Payloads above this many bytes are deflated; `false` disables. @default 1024 */
  compressionThreshold?: number | false;
  /**
   * Per-command timeout (ms) for clients this tier opens; `false` sets none, for when the caller bounds every
   * call itself (`createCache` does: one shared deadline timer per tier, where ioredis arms a timer per command,
   * which cost about 20 % of L2-hit throughput). @default 500
   */
  commandTimeout?: number | false;
  /**
   * ioredis auto-pipelining for clients this tier opens (batches the commands issued in one tick into one write).
   * Off by default: on loopback it costs throughput at tens of concurrent callers and pays off only at hundreds;
   * turn it on for many concurrent callers or a high-latency link. @default false
   */
  enableAutoPipelining?: boolean;
  /** Lifetime of tag invalidation versions (ms); keep it above your longest TTL + grace. @default 7 days */
  maxTagAge?: number;
  /**
   * Ms a delete's tombstone and a written entry's version are kept past the entry itself, so that a load begun
   * before the write and finishing later is refused. Loads slower than this are not stored. @default 60000
   */
  fillWindow?: number;
  /** Wall clock for expiry arithmetic. @default systemClock */
  clock?: Clock;
  /** Connection errors of clients this tier opened (they are otherwise swallowed; ioredis reconnects). */
  onError?: (error: Error) => void;
}


/** The L2 tier: Redis (standalone or Cluster) through ioredis. */
export interface RedisTier extends VersionedTier {
  /**
   * Declares that this tier can also coordinate instances (the invalidation bus and load leases): a RedisTier
   * passed to `createCache` as `l2` serves them, any other tier does not.
   */
  readonly coordinates: true;
  readonly client: RedisClient;
  readonly keys: RedisKeys;
  /** True while the connection is known to be lost (reconnecting / closed): callers may fail fast. */
  readonly down: boolean;
  /** `SET lease NX PX`: true when this owner now holds the key's load lease. */
  acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** The id of the instance holding the key's load lease, or null. */
  leaseOwner(key: string): Promise<string | null>;
  /** Drops the lease when still held by `owner` (compare-and-delete). */
  releaseLease(key: string, owner: string): Promise<void>;
  /** PUBLISH; resolves with how many subscriber connections received it. */
  publish(channel: string, message: string): Promise<number>;
  /** A fresh connection for SUBSCRIBE (closed by its user). */
  duplicate(): RedisClient;
  /**
   * The cache keys of this namespace's entries starting with `prefix` (SCAN, never KEYS, on every master), in no
   * particular order; a key written or deleted during the walk may or may not be seen (SCAN's guarantee).
   */
  entryKeys(prefix?: string): AsyncIterableIterator<string>;
}

/** True for a tier that declares it can carry the bus and leases (the built-in Redis tier). */
export function isCoordinatingTier(tier: CacheTier): tier is RedisTier {
  return (tier as Partial<RedisTier>).coordinates === true;
}

export function createRedisTier(options: RedisTierOptions = {}): RedisTier {
  const namespace = options.namespace ?? 'wai';
  assertValidNamespace(namespace);
  const keys = redisKeys(namespace);
  const codec = createCodec({
    ...(options.serializer ? { serializer: options.serializer } : {}),
    compressionThreshold: options.compressionThreshold ?? 1024,
  });
  const maxTagAge = options.maxTagAge ?? DEFAULT_MAX_TAG_AGE_MS;
  const fillWindow = options.fillWindow ?? DEFAULT_FILL_WINDOW_MS;
  if (!Number.isFinite(fillWindow) || fillWindow < 1) throw new ConfigError('[wai:cache-tiers] fillWindow must be a number of ms >= 1');
  const clock = options.clock ?? systemClock;
  const now = createCoarseNow(clock, 1);
  const { client, owned } = openClient(options);
  const run = createScriptRunner(client);
  const coalesce = options.enableAutoPipelining === true || isCluster(client) ? () => {} : writeCoalescer(client);

  /** Runs the write or the fill script for `entry` (see SCRIPTS.waiSet for the argument layout). */
  const write = async (script: { lua: string }, key: string, entry: CacheEntry, since: number | undefined): Promise<unknown> => {
    const ttl = entry.staleUntil === Infinity ? '' : String(Math.ceil(entry.staleUntil - clock.now()));
    if (ttl !== '' && Number(ttl) <= 0) {
      // Already past serving: a write leaves only its version behind (a tombstone); a fill stores nothing.
      if (since === undefined) await run(SCRIPTS.waiDelete, [keys.entry(key), keys.clock], [String(fillWindow), String(clock.now())]);
      return 0;
    }
    const payload = codec.encode(encodeEntry(entry));
    const tagIndexes = entry.tags.map((tag) => keys.tag(tag));
    const scriptKeys = [keys.entry(key), keys.clock, keys.cleared, ...tagIndexes];
    if (since !== undefined) for (const tag of entry.tags) scriptKeys.push(keys.tagStamp(tag));
    const args = [payload, ttl, key, JSON.stringify(entry.tags), String(Math.round(entry.createdAt)), String(fillWindow), String(entry.tags.length), entry.staleUntil === Infinity ? '' : String(Math.round(entry.staleUntil))];
    if (since !== undefined) args.push(String(since));
    coalesce();
    return run(script, scriptKeys, args);
  };

  const masters = (): Redis[] => (isCluster(client) ? client.nodes('master') : [client]);

  return {
    name: 'l2',
    client,
    keys,
    versioned: true,
    coordinates: true,
    fillWindow,
    get down() {
      return DOWN_STATUSES.has(client.status);
    },
    async get(key) {
      // One HMGET (value and version), not a script: reads are the hot path. The payload carries the entry's tags,
      // so the tag check costs one MGET of the tags' versions, and only for tagged entries.
      coalesce();
      const [data, version] = await client.hmgetBuffer(keys.entry(key), 'v', 'n');
      if (data === null || data === undefined) return undefined;
      const entry = decodeEntry(codec.decode(data));
      if (entry === undefined || entry.staleUntil <= now()) return undefined;
      if (entry.tags.length > 0) {
        // An entry is invalid once one of its tags has a later version than the entry (the clock is Redis' own).
        const written = Number(version ?? 0);
        const stamps = await client.mget(...entry.tags.map((tag) => keys.tagStamp(tag)));
        if (stamps.some((stamp) => stamp !== null && Number(stamp) > written)) return undefined;
      }
      return entry;
    },
    async set(key, entry) {
      await write(SCRIPTS.waiSet, key, entry, undefined);
    },
    async fill(key, entry, since) {
      return (await write(SCRIPTS.waiFill, key, entry, since)) === 1;
    },
    async version() {
      return Number((await client.get(keys.clock)) ?? 0);
    },
    async delete(key) {
      coalesce();
      return (await run(SCRIPTS.waiDelete, [keys.entry(key), keys.clock], [String(fillWindow), String(clock.now())])) === 1;
    },
    async deleteByTag(tag) {
      return (await run(SCRIPTS.waiDeleteByTag, [keys.tag(tag)], [keys.entry(''), tag])) as number;
    },
    async clear() {
      // The clear's version first, so a fill racing the SCAN below is refused; the clock and that version stay.
      await run(SCRIPTS.waiClear, [keys.cleared, keys.clock], []);
      const kept = new Set([keys.clock, keys.cleared]);
      // SCAN (never KEYS) on every master; a namespace lives in one slot, so batches can be deleted together.
      for (const node of masters()) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', keys.pattern, 'COUNT', 1000);
          cursor = next;
          const doomed = found.filter((name) => !kept.has(name));
          if (doomed.length > 0) await node.unlink(...doomed);
        } while (cursor !== '0');
      }
    },
    async *entryKeys(prefix = '') {
      const entryPrefix = keys.entry('');
      const pattern = `${globEscape(entryPrefix)}${globEscape(prefix)}*`;
      for (const node of masters()) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          for (const name of found) yield name.slice(entryPrefix.length);
        } while (cursor !== '0');
      }
    },
    async close() {
      if (owned) await quit(client);
    },
    async invalidateTag(tag) {
      await run(SCRIPTS.waiStampTag, [keys.tagStamp(tag), keys.clock], [String(maxTagAge)]);
    },
    async acquireLease(key, owner, ttlMs) {
      return (await client.set(keys.lease(key), owner, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
    },
    async leaseOwner(key) {
      return client.get(keys.lease(key));
    },
    async releaseLease(key, owner) {
      await run(SCRIPTS.waiReleaseLease, [keys.lease(key)], [owner]);
    },
    async publish(channel, message) {
      return client.publish(channel, message);
    },
    duplicate() {
      // No command timeout on the copy: ioredis re-subscribes after a reconnect with a promise nobody awaits,
      // and a timeout there would surface as an unhandled rejection.
      const copy = isCluster(client)
        ? client.duplicate([], { redisOptions: { ...client.options.redisOptions, commandTimeout: undefined } } as Parameters<Cluster['duplicate']>[1])
        : client.duplicate({ commandTimeout: undefined } as Parameters<Redis['duplicate']>[0]);
      copy.on('error', (error: Error) => options.onError?.(error));
      return copy;
    },
  };
}

/**
 * Corks the client's socket until the end of the tick, so the reads issued in one burst (callers woken by the
 * same reply batch) leave in one `writev` instead of a syscall each — what node-redis does for every command and
 * ioredis' auto-pipelining does through a Pipeline object per batch (which costs more than it saves at tens of
 * callers). The socket is uncorked on the next `process.nextTick`, after the current microtasks, and every
 * CORK_FLUSH_EVERY commands before that.
 */
/**
 * Commands held in one corked write at most. Holding a whole burst until the end of the tick kept Redis idle
 * while this process worked through the burst's replies, and this process idle while Redis answered the burst:
 * with 64 callers, L2 hits ran at 0.77x bare ioredis; flushing every 16 lets the two overlap (1.0x, and 4 of 5
 * syscalls saved). 8 to 32 measured alike; 4 and 1000 clearly worse.
 */
const CORK_FLUSH_EVERY = 16;

function writeCoalescer(client: Redis): () => void {
  let corked: { cork(): void; uncork(): void } | undefined;
  const uncork = () => {
    corked?.uncork();
    corked = undefined;
  };
  let held = 0;
  return () => {
    if (corked !== undefined) {
      if (++held >= CORK_FLUSH_EVERY) {
        held = 0;
        corked.uncork();
        corked.cork();
      }
      return;
    }
    if (client.status !== 'ready') return;
    const stream = (client as { stream?: { cork?(): void; uncork?(): void } }).stream;
    if (typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return;
    corked = stream as { cork(): void; uncork(): void };
    held = 0;
    corked.cork();
    process.nextTick(uncork);
  };
}

type ScriptRunner = (script: { lua: string }, keys: readonly string[], args: ReadonlyArray<string | Buffer>) => Promise<unknown>;

/**
 * EVALSHA, falling back to EVAL once when the server does not know the script (NOSCRIPT: after a restart, a
 * failover, or on another cluster node). Not ioredis' `defineCommand`: with auto-pipelining its "already loaded
 * on this socket" check never matches (every pipeline flush writes through a fresh stream object), so every call
 * sent the whole script text as EVAL — profiled as the top cost of the L2 path.
 */
function createScriptRunner(client: RedisClient): ScriptRunner {
  const shas = new Map<string, string>();
  return async (script, keys, args) => {
    let sha = shas.get(script.lua);
    if (sha === undefined) shas.set(script.lua, (sha = createHash('sha1').update(script.lua).digest('hex')));
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return client.eval(script.lua, keys.length, ...keys, ...args);
    }
  };
}

const DOWN_STATUSES = new Set<string>(['reconnecting', 'close', 'end', 'disconnecting']);

function openClient(options: RedisTierOptions): { client: RedisClient; owned: boolean } {
  const source = options.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (isClient(source)) return { client: source, owned: false };
  const commandTimeout = options.commandTimeout === false ? undefined : (options.commandTimeout ?? 500);
  const enableAutoPipelining = options.enableAutoPipelining ?? false;
  // ioredis 6's constructor types reject `undefined` fields under exactOptionalPropertyTypes; the objects
  // below only ever hold the caller's own options plus ours.
  type ConstructorOptions = Parameters<(options: RedisOptions) => void>[0] & { replyMapping?: never };
  type ClusterConstructorOptions = NonNullable<ConstructorParameters<typeof Cluster>[1]>;
  const defaults = { ...(commandTimeout === undefined ? {} : { commandTimeout }), enableAutoPipelining, maxRetriesPerRequest: 1 };
  let client: RedisClient;
  if (typeof source === 'string') client = new Redis(source, defaults);
  else if ('cluster' in source) {
    const clusterOptions = {
      enableAutoPipelining,
      ...source.options,
      redisOptions: { ...(commandTimeout === undefined ? {} : { commandTimeout }), maxRetriesPerRequest: 1, ...source.options?.redisOptions },
    } as ClusterConstructorOptions;
    client = new Cluster(source.cluster, clusterOptions);
  } else client = new Redis({ ...defaults, ...source } as ConstructorOptions);
  client.on('error', (error: Error) => options.onError?.(error));
  return { client, owned: true };
}

/** Duck-typed so clients from another ioredis copy (e.g. v5 in the app) are accepted too. */
function isClient(value: unknown): value is RedisClient {
  return typeof value === 'object' && value !== null && typeof (value as Redis).hgetBuffer === 'function' && typeof (value as Redis).duplicate === 'function';
}

export function isCluster(client: RedisClient): client is Cluster {
  return (client as Cluster).isCluster === true;
}

async function quit(client: RedisClient): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}

/** The stored envelope: short field names; `null` stands for an infinite expiry (JSON has no Infinity). */
interface StoredEntry {
  v: unknown;
  c: number;
  e: number | null;
  s: number | null;
  t: readonly string[];
  p?: 'low' | 'medium' | 'high';
}

function encodeEntry(entry: CacheEntry): StoredEntry {
  const stored: StoredEntry = {
    v: entry.value,
    c: entry.createdAt,
    e: entry.expiresAt === Infinity ? null : entry.expiresAt,
    s: entry.staleUntil === Infinity ? null : entry.staleUntil,
    t: entry.tags,
  };
  if (entry.priority) stored.p = entry.priority;
  return stored;
}

function decodeEntry(raw: unknown): CacheEntry | undefined {
  if (typeof raw !== 'object' || raw === null || !('c' in raw)) return undefined;
  const stored = raw as StoredEntry;
  const entry: CacheEntry = {
    value: stored.v,
    createdAt: stored.c,
    expiresAt: stored.e ?? Infinity,
    staleUntil: stored.s ?? Infinity,
    tags: Array.isArray(stored.t) ? stored.t : [],
  };
  if (stored.p) entry.priority = stored.p;
  return entry;
}

/** SCAN's MATCH is a glob: `* ? [ ] \\` in a key or the namespace's braces must match literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\{}]/g, '\\$&');
}
