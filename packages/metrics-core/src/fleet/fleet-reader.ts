import { systemClock, type Clock } from '../clock.js';
import { ConfigError, NotFoundError, WaiError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { FleetRedisClient, FleetSource, FleetView } from '../contracts/fleet.js';
import { fleetKeys, positiveOption } from './fleet-keys.js';
import { parsePayload, type FleetPayload } from './fleet-payload.js';
import { mergeFleet } from './fleet-view.js';

export interface FleetReaderOptions {
  /** A Redis client (an ioredis `Redis` or `Cluster` fits). Not closed by the reader. Required. */
  redis: FleetRedisClient;
  /** The publishers' namespace. @default 'wai' */
  namespace?: string;
  /** Milliseconds one read of Redis is shared by every caller (dashboards poll every second). @default 1000 */
  cacheMs?: number;
  /** Most instances read (the first ids by expiry). @default 100 */
  maxInstances?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface FleetReader extends FleetSource {
  /** Ids of the live instances (from the last read, or a fresh one). */
  instanceIds(): Promise<string[]>;
}

/**
 * Reads every live instance's published window from Redis and merges them (`FleetView`). An instance counts as
 * live while its value exists and its `expiresAt` is ahead of this reader's clock, so a stopped instance leaves
 * within its TTL even before Redis expires the key. A Redis failure rejects with `E_FLEET_UNAVAILABLE` (503).
 */
export function createFleetReader(options: FleetReaderOptions): FleetReader {
  if (options === null || typeof options !== 'object' || typeof options.redis?.mget !== 'function') {
    throw new ConfigError('[wai:metrics-core] createFleetReader needs `redis` (an ioredis client or another FleetRedisClient)');
  }
  const { redis } = options;
  const keys = fleetKeys(options.namespace ?? 'wai');
  const cacheMs = options.cacheMs === 0 ? 0 : positiveOption('cacheMs', options.cacheMs, 1000);
  const maxInstances = positiveOption('maxInstances', options.maxInstances, 100, true);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  let cached: { at: number; payloads: FleetPayload[]; view: FleetView | undefined } | undefined;
  let pending: Promise<FleetPayload[]> | undefined;

  async function fetchPayloads(now: number): Promise<FleetPayload[]> {
    let values: Array<string | null>;
    let ids: string[];
    try {
      ids = (await redis.zrangebyscore(keys.index, now, '+inf')).slice(0, maxInstances);
      values = ids.length === 0 ? [] : await redis.mget(ids.map((id) => keys.instance(id)));
    } catch (error) {
      throw new WaiError('E_FLEET_UNAVAILABLE', '[wai:metrics-core] the fleet view needs Redis, which did not answer; the per-instance view still works', {
        cause: error,
        statusCode: 503,
      });
    }
    const payloads: FleetPayload[] = [];
    for (let i = 0; i < values.length; i++) {
      const text = values[i];
      if (text === null || text === undefined) continue;
      const payload = parsePayload(text);
      if (!payload) {
        logger.debug({ instance: ids[i] }, '[wai:metrics-core] skipped a fleet value of another format version');
        continue;
      }
      payloads.push(payload);
    }
    return payloads;
  }

  async function load(): Promise<{ payloads: FleetPayload[]; now: number; fresh: boolean }> {
    const now = clock.now();
    if (cached && now - cached.at < cacheMs) return { payloads: cached.payloads, now, fresh: false };
    pending ??= fetchPayloads(now).finally(() => {
      pending = undefined;
    });
    const payloads = await pending;
    cached = { at: now, payloads, view: undefined };
    return { payloads, now, fresh: true };
  }

  /** Live by this reader's clock too (a fake clock in tests; a value read just before it expired). */
  const live = (payloads: FleetPayload[], now: number) => payloads.filter((payload) => payload.expiresAt >= now);

  return {
    async read(readOptions = {}) {
      const { payloads, now } = await load();
      const current = live(payloads, now);
      if (readOptions.instance !== undefined) {
        const one = current.find((payload) => payload.id === readOptions.instance);
        if (!one) throw new NotFoundError(`[wai:metrics-core] no live fleet instance "${readOptions.instance}"`);
        return mergeFleet([one], now, one.id);
      }
      if (cached && cached.payloads === payloads && cached.view && current.length === payloads.length) return cached.view;
      const view = mergeFleet(current, now);
      if (view.unreadable.length > 0) logger.warn({ instances: view.unreadable }, '[wai:metrics-core] fleet values that could not be decoded were left out');
      if (cached && cached.payloads === payloads && current.length === payloads.length) cached.view = view;
      return view;
    },
    async instanceIds() {
      const { payloads, now } = await load();
      return live(payloads, now).map((payload) => payload.id);
    },
  };
}
