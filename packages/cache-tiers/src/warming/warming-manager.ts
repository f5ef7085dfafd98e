import { ConfigError, NotFoundError, ValidationError, silentLogger, systemClock, type Clock, type Logger, type TimerHandle, type WarmingResult } from '@wai/metrics-core';
import type { FillToken, SetOptions } from '../cache/set-options.js';
import type { WarmingApi, WarmingContext, WarmingStrategy } from '../cache/warming-contract.js';
import { compileKeyPatterns } from './key-pattern.js';

export type { WarmEntry, WarmingContext, WarmingStrategy, WarmingStrategyInfo } from '../cache/warming-contract.js';

export interface WarmingManagerOptions {
  /**
   * Anything with the cache's `set(key, value, { ttl, tags, priority })`. With `beginFill` and `fill` (the @wai
   * cache has both) a run is a fill like any other: its token is taken before the strategy reads anything, and a
   * key written or invalidated since is not overwritten with what the strategy read (it is skipped, not an error).
   */
  cache: {
    set(key: string, value: unknown, options?: SetOptions): Promise<void>;
    beginFill?(): Promise<FillToken>;
    fill?(token: FillToken, key: string, value: unknown, options?: SetOptions): Promise<boolean>;
  };
  /** Run every enabled strategy on this interval (ms, timer unref'd); 0 = only on `warm()`. @default 0 */
  intervalMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
}

/** The warming API plus `close()` (stops the interval and waits for running strategies). */
export interface WarmingManager extends WarmingApi {
  close(): Promise<void>;
}

interface Registered {
  strategy: WarmingStrategy;
  order: number;
  matches: (key: string) => boolean;
}

/** Cache warming: named strategies that preload known-hot keys, on demand or on an interval. */
export function createWarmingManager(options: WarmingManagerOptions): WarmingManager {
  const cache = options.cache;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const intervalMs = options.intervalMs ?? 0;
  if (!Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new ConfigError(`[wai:cache-tiers] warming intervalMs must be a number of ms >= 0, got ${String(intervalMs)}`);
  }
  const strategies = new Map<string, Registered>();
  const running = new Map<string, Promise<WarmingResult>>();
  const closing = new AbortController();
  let added = 0;

  const runOne = (registered: Registered): Promise<WarmingResult> => {
    const name = registered.strategy.name;
    const current = running.get(name);
    if (current !== undefined) return current;
    const promise = execute(registered).finally(() => running.delete(name));
    running.set(name, promise);
    return promise;
  };

  const execute = async ({ strategy, matches }: Registered): Promise<WarmingResult> => {
    const started = clock.monotonic();
    const errors: string[] = [];
    let keysWarmed = 0;
    const controller = new AbortController();
    const onClose = () => controller.abort(closing.signal.reason);
    closing.signal.addEventListener('abort', onClose, { once: true });
    const token = cache.beginFill && cache.fill ? await cache.beginFill() : undefined;
    const store = async (key: string, value: unknown, setOptions?: SetOptions): Promise<void> => {
      if (controller.signal.aborted) throw new Error(`strategy stopped (${String(controller.signal.reason)})`);
      if (!matches(key)) {
        errors.push(`key "${key}" does not match the strategy's patterns`);
        return;
      }
      if (token && cache.fill) {
        if (await cache.fill(token, key, value, setOptions)) keysWarmed++;
        return;
      }
      await cache.set(key, value, setOptions);
      keysWarmed++;
    };
    const context: WarmingContext = { set: store, strategy: strategy.name, signal: controller.signal };
    let timer: TimerHandle | undefined;
    const timeoutMs = strategy.timeoutMs ?? 30_000;
    const timedOut = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => {
        controller.abort('timeout');
        reject(new Error(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const returned = await Promise.race([Promise.resolve().then(() => strategy.warmupFunction(context)), timedOut]);
      if (returned) {
        for (const { key, value, ...setOptions } of returned) {
          try {
            await store(key, value, setOptions);
          } catch (error) {
            errors.push(`key "${key}": ${describe(error)}`);
          }
        }
      }
    } catch (error) {
      errors.push(describe(error));
      logger.warn({ err: error, strategy: strategy.name }, '[wai:cache-tiers] a warming strategy failed');
    } finally {
      timer?.cancel();
      closing.signal.removeEventListener('abort', onClose);
    }
    return { strategy: strategy.name, keysWarmed, durationMs: clock.monotonic() - started, errors };
  };

  const byPriority = (a: Registered, b: Registered) => (b.strategy.priority ?? 0) - (a.strategy.priority ?? 0) || a.order - b.order;

  const warmAll = async (): Promise<WarmingResult[]> => {
    const results: WarmingResult[] = [];
    for (const registered of [...strategies.values()].filter((entry) => entry.strategy.enabled ?? true).sort(byPriority)) {
      if (closing.signal.aborted) break;
      results.push(await runOne(registered));
    }
    return results;
  };

  const interval = intervalMs > 0 ? clock.setInterval(() => void warmAll().catch(() => undefined), intervalMs) : undefined;

  return {
    addWarmingStrategy(strategy) {
      if (strategy === null || typeof strategy !== 'object' || typeof strategy.name !== 'string' || strategy.name.length === 0) {
        throw new ValidationError('E_INVALID_ARGUMENT', '[wai:cache-tiers] a warming strategy needs a non-empty `name`');
      }
      if (typeof strategy.warmupFunction !== 'function') {
        throw new ValidationError('E_INVALID_ARGUMENT', `[wai:cache-tiers] warming strategy "${strategy.name}" needs a \`warmupFunction\``);
      }
      if (strategy.priority !== undefined && !Number.isFinite(strategy.priority)) {
        throw new ValidationError('E_INVALID_ARGUMENT', `[wai:cache-tiers] warming strategy "${strategy.name}": \`priority\` must be a finite number`);
      }
      if (strategy.timeoutMs !== undefined && !(strategy.timeoutMs > 0)) {
        throw new ValidationError('E_INVALID_ARGUMENT', `[wai:cache-tiers] warming strategy "${strategy.name}": \`timeoutMs\` must be > 0`);
      }
      if (strategies.has(strategy.name)) {
        throw new ValidationError('E_INVALID_ARGUMENT', `[wai:cache-tiers] a warming strategy named "${strategy.name}" exists; remove it first`);
      }
      strategies.set(strategy.name, { strategy: { ...strategy }, order: added++, matches: compileKeyPatterns(strategy.patterns ?? ['*']) });
    },
    removeWarmingStrategy: (name) => strategies.delete(name),
    async warm(name) {
      if (name === undefined) return warmAll();
      const registered = strategies.get(name);
      if (registered === undefined) throw new NotFoundError(`[wai:cache-tiers] no warming strategy named "${name}"; add it with addWarmingStrategy()`);
      return [await runOne(registered)];
    },
    listWarmingStrategies: () =>
      [...strategies.values()].sort(byPriority).map(({ strategy }) => ({
        name: strategy.name,
        ...(strategy.description === undefined ? {} : { description: strategy.description }),
        enabled: strategy.enabled ?? true,
        priority: strategy.priority ?? 0,
        patterns: strategy.patterns ?? ['*'],
      })),
    async close() {
      interval?.cancel();
      closing.abort('closed');
      await Promise.allSettled([...running.values()]);
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
