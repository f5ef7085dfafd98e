import type { Server } from 'node:http';
import { createPerformanceMonitor, type CacheStore, type PerformanceMonitor, type PerformanceMonitorOptions } from '@wai/metrics-core';
import { loadConfigFromEnv, type WaiConfig } from '@wai/metrics-core/config';
import type { Express } from 'express';
import { getDefaultCacheStore, getDefaultMonitor, setDefaultCacheStore, setDefaultMonitor } from './defaults.js';
import { instrumentApp, type RequestTimingOptions } from './request-timing.js';

/** Defaults of `PerformanceSystemConfig` that are values (the README's table is checked against them). */
export const PERFORMANCE_SYSTEM_DEFAULTS = { start: true } as const;

export interface PerformanceSystemConfig {
  /** A monitor you built, or options for a new one (`createPerformanceMonitor`). @default {} */
  monitor?: PerformanceMonitor | PerformanceMonitorOptions;
  /** Response store for `intelligentCache()` / `invalidateOnWrite()` (e.g. a @wai/cache-tiers cache). @default in-memory */
  cache?: CacheStore;
  /**
   * Deployment settings (`configureForEnvironment(process.env.NODE_ENV)` or `loadConfigFromEnv(process.env)`):
   * their monitoring interval, thresholds, anomaly threshold and trend window seed a monitor created here, and
   * `monitoring.enabled: false` keeps it from starting. A bad environment variable throws `ConfigError`.
   * @default loadConfigFromEnv(process.env)
   */
  settings?: WaiConfig;
  /** Options of the app-wide `enhancedRequestTiming` (monitor excluded). */
  timing?: Omit<RequestTimingOptions, 'monitor'>;
  /** Start the monitor's sampling. @default true */
  start?: boolean;
}

export interface PerformanceSystem {
  monitor: PerformanceMonitor;
  cache: CacheStore;
  /** Stops what this call started (and closes a monitor it created); idempotent. */
  close(): Promise<void>;
}

function isMonitor(value: PerformanceSystemConfig['monitor']): value is PerformanceMonitor {
  return typeof (value as PerformanceMonitor | undefined)?.trackEndpoint === 'function';
}

/**
 * Wires @wai into an Express app as the guide shows: creates (or adopts) the monitor, makes it and the cache the
 * defaults for `enhancedRequestTiming()` / `intelligentCache()` / `adaptiveRateLimit()`, times every request the
 * app handles (`instrumentApp`: from the app's entry point, so where you call it among your `app.use` calls does
 * not matter), and closes everything when `server` closes.
 */
export function initializePerformanceSystem(app: Express, server: Server | undefined, config: PerformanceSystemConfig = {}): PerformanceSystem {
  const ownsMonitor = !isMonitor(config.monitor);
  const settings = config.settings ?? loadConfigFromEnv(process.env);
  const fromSettings: PerformanceMonitorOptions = {
    interval: settings.monitoring.interval,
    thresholds: settings.monitoring.thresholds,
    anomalyThreshold: settings.monitoring.anomalyThreshold,
    trendAnalysisWindow: settings.monitoring.trendAnalysisWindow,
  };
  const monitor = isMonitor(config.monitor) ? config.monitor : createPerformanceMonitor({ ...fromSettings, ...config.monitor });
  const previousMonitor = getDefaultMonitor();
  setDefaultMonitor(monitor);
  if (config.cache) setDefaultCacheStore(config.cache);
  const cache = getDefaultCacheStore();
  const uninstrument = instrumentApp(app, { ...config.timing, monitor });
  if ((config.start ?? PERFORMANCE_SYSTEM_DEFAULTS.start) && settings.monitoring.enabled) monitor.start();

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      server?.off('close', onServerClose);
      uninstrument();
      if (getDefaultMonitor() === monitor) setDefaultMonitor(previousMonitor);
      if (ownsMonitor) await monitor.close();
      else monitor.stop();
    })();
    return closed;
  };
  const onServerClose = () => void close();
  server?.on('close', onServerClose);
  return { monitor, cache, close };
}
