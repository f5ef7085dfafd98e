import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { ConfigError, WaiError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { FleetInstanceIdentity, FleetRedisClient } from '../contracts/fleet.js';
import type { PerformanceMonitor } from '../contracts/monitor.js';
import { fleetKeys, positiveOption } from './fleet-keys.js';
import { buildPayload } from './fleet-payload.js';

export interface FleetPublisherOptions {
  /** The monitor whose current window is published. Required. */
  monitor: PerformanceMonitor;
  /** A Redis client (an ioredis `Redis` or `Cluster` fits). Not closed by `close()`: it is yours. Required. */
  redis: FleetRedisClient;
  /** Key namespace shared by the instances of one fleet (used as the hash tag `{namespace}`). @default 'wai' */
  namespace?: string;
  /** Milliseconds between publishes; pass the monitor's sampling interval. @default 30000 */
  interval?: number;
  /** How long a published value lives: an instance that stops publishing drops out after this. @default 2 × interval */
  ttl?: number;
  /** Unique per process. @default `<hostname>-<pid>-<6 random hex digits>` */
  instanceId?: string;
  /** Route series published with their own row; the rest merge into one `__overflow__` row. @default 2000 */
  maxSeries?: number;
  /** Largest published value in bytes; past it, more series fold into `__overflow__`. @default 4194304 (4 MiB) */
  maxPayloadBytes?: number;
  /** Active alerts published (without their evidence). @default 50 */
  maxAlerts?: number;
  /** Longest a publish may wait for Redis before it counts as failed. @default the smaller of interval and 5000 */
  timeout?: number;
  /** Publish now and then every `interval`. @default true */
  autoStart?: boolean;
  clock?: Clock;
  logger?: Logger;
}

export interface FleetPublisherStats {
  published: number;
  failed: number;
  /** Bytes of the latest value, and series folded into `__overflow__` in it. */
  lastBytes: number;
  lastFolded: number;
}

export interface FleetPublisher {
  readonly identity: FleetInstanceIdentity;
  /** Publishes the current window now; false when Redis failed (logged, never thrown). */
  publish(): Promise<boolean>;
  start(): void;
  stop(): void;
  stats(): FleetPublisherStats;
  /** Stops publishing and removes this instance's value, so it leaves the fleet at once. */
  close(): Promise<void>;
}

const INSTANCE_ID = /^[\w.:-]{1,128}$/;

/**
 * Publishes this instance's current window (per-route DDSketches, counters, gauges, health, active alerts) to
 * Redis every `interval`, with a TTL of `ttl`, so that `createFleetReader` on any instance can merge the fleet.
 * Redis failures are logged and counted, never thrown: the monitor and the instance's own dashboard do not
 * depend on it, and the next successful publish rejoins the fleet.
 */
export function createFleetPublisher(options: FleetPublisherOptions): FleetPublisher {
  if (options === null || typeof options !== 'object' || typeof options.monitor?.exportWindow !== 'function') {
    throw new ConfigError('[wai:metrics-core] createFleetPublisher needs `monitor` (a PerformanceMonitor)');
  }
  if (typeof options.redis?.set !== 'function' || typeof options.redis.zadd !== 'function') {
    throw new ConfigError('[wai:metrics-core] createFleetPublisher needs `redis` (an ioredis client or another FleetRedisClient)');
  }
  const { monitor, redis } = options;
  const keys = fleetKeys(options.namespace ?? 'wai');
  const interval = positiveOption('interval', options.interval, 30_000);
  const ttl = positiveOption('ttl', options.ttl, 2 * interval);
  const timeout = positiveOption('timeout', options.timeout, Math.min(interval, 5000));
  const limits = {
    maxSeries: positiveOption('maxSeries', options.maxSeries, 2000, true),
    maxPayloadBytes: positiveOption('maxPayloadBytes', options.maxPayloadBytes, 4 * 1024 * 1024, true),
    maxAlerts: positiveOption('maxAlerts', options.maxAlerts, 50, true),
  };
  const id = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  if (typeof id !== 'string' || !INSTANCE_ID.test(id)) {
    throw new ConfigError(`[wai:metrics-core] fleet option instanceId must be 1–128 letters, digits, "_", ".", ":" or "-", got "${String(id)}"`);
  }
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const identity: FleetInstanceIdentity = { id, host: hostname(), pid: process.pid, startedAt: clock.now() };
  const key = keys.instance(id);
  const stats: FleetPublisherStats = { published: 0, failed: 0, lastBytes: 0, lastFolded: 0 };
  let timer: TimerHandle | undefined;
  let inFlight: Promise<boolean> | undefined;
  let down = false;
  let closed = false;

  /** Redis commands bounded by `timeout`, so a stalled link cannot hold publishes (and close) forever. */
  function bounded<T>(work: Promise<T>): Promise<T> {
    let handle: TimerHandle | undefined;
    const expired = new Promise<never>((_, reject) => {
      handle = clock.setTimeout(() => reject(new WaiError('E_TIMEOUT', `[wai:metrics-core] fleet publish took over ${timeout} ms`)), timeout);
    });
    return Promise.race([work, expired]).finally(() => handle?.cancel());
  }

  async function write(): Promise<boolean> {
    try {
      const now = clock.now();
      const expiresAt = now + ttl;
      const { json, folded, bytes } = buildPayload(monitor.exportWindow(), identity, monitor.getAlerts({ active: true }), { publishedAt: now, expiresAt }, limits);
      await bounded(
        Promise.all([
          redis.set(key, json, 'PX', Math.ceil(ttl)),
          redis.zadd(keys.index, expiresAt, id),
          // Ids of instances that died without close(): their values expired already.
          redis.zremrangebyscore(keys.index, '-inf', now),
          // The index goes when the whole fleet is gone.
          redis.pexpire(keys.index, Math.ceil(ttl) * 2),
        ]),
      );
      stats.published++;
      stats.lastBytes = bytes;
      stats.lastFolded = folded;
      if (down) logger.info({ instance: id }, '[wai:metrics-core] fleet publishing works again; this instance rejoined the fleet');
      down = false;
      return true;
    } catch (error) {
      stats.failed++;
      // Once per outage at warn: a dead Redis must not flood the log every interval.
      if (!down) logger.warn({ err: error, instance: id }, '[wai:metrics-core] fleet publish failed; this instance leaves the fleet view until Redis answers again');
      else logger.debug({ err: error, instance: id }, '[wai:metrics-core] fleet publish failed');
      down = true;
      return false;
    }
  }

  function publish(): Promise<boolean> {
    if (closed) return Promise.resolve(false);
    // One at a time: a slow Redis skips ticks instead of piling up commands.
    if (inFlight) return inFlight;
    const run = write().finally(() => {
      inFlight = undefined;
    });
    inFlight = run;
    return run;
  }

  function start(): void {
    if (closed || timer) return;
    void publish();
    timer = clock.setInterval(() => void publish(), interval);
  }

  function stop(): void {
    timer?.cancel();
    timer = undefined;
  }

  if (options.autoStart ?? true) start();

  return {
    identity,
    publish,
    start,
    stop,
    stats: () => ({ ...stats }),
    async close() {
      if (closed) return;
      stop();
      closed = true;
      await inFlight;
      try {
        await bounded(Promise.all([redis.del(key), redis.zrem(keys.index, id)]));
      } catch (error) {
        // The TTL removes it anyway.
        logger.debug({ err: error, instance: id }, '[wai:metrics-core] fleet value not removed on close; it expires by its TTL');
      }
    },
  };
}
