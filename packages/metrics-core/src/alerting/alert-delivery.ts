import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { ConfigError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Alert } from '../contracts/findings.js';
import type { PerformanceMonitor } from '../contracts/monitor.js';
import { deliveryIdOf, numberOption, type AlertEvent, type AlertSink } from './alert-sink.js';
import { SinkQueue, type RetryPolicy, type SinkStats } from './sink-queue.js';

export interface AlertDeliveryOptions {
  /** The monitor whose `alert` / `alert:resolved` events are delivered. */
  monitor: Pick<PerformanceMonitor, 'on' | 'off' | 'getAlerts'>;
  /** Where to send them, e.g. `[createAlertmanagerSink({ url }), createWebhookSink({ url, secret })]`. */
  sinks: AlertSink[];
  /**
   * Most events waiting per sink while its receiver is unreachable; beyond it the oldest are dropped (counted in
   * `stats().dropped`, logged). A firing + resolved pair per alert is two events. @default 1000
   */
  maxQueue?: number;
  /** Longest one delivery attempt may take (ms) before it is aborted and retried. @default 10000 */
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** How long `close()` waits for queued events to be delivered (ms). @default 2000 */
  closeTimeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** Jitter source for backoff, for tests. @default Math.random */
  random?: () => number;
}

export interface AlertDelivery {
  /** Per sink: queued, delivered, dropped, failed, retries, last error. */
  stats(): SinkStats[];
  /** Resolves `true` once every queue is empty, `false` if `timeoutMs` passed first. @default timeoutMs 5000 */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Stops listening, waits up to `closeTimeoutMs` for queued events, then stops retrying. */
  close(): Promise<void>;
}

/**
 * Delivers the monitor's alerts to sinks (Alertmanager, webhooks) with retries, backoff, a bounded queue per sink
 * and de-duplication. A plug-in of the monitor: metrics-core itself never imports a sink.
 *
 * @example
 * const delivery = createAlertDelivery({ monitor, sinks: [createAlertmanagerSink({ url: 'http://alertmanager:9093' })] });
 * // …
 * await delivery.close();
 */
export function createAlertDelivery(options: AlertDeliveryOptions): AlertDelivery {
  const { monitor } = options;
  if (!monitor || typeof monitor.on !== 'function') throw new ConfigError('[wai:metrics-core] createAlertDelivery needs `monitor` (a PerformanceMonitor)');
  if (!Array.isArray(options.sinks)) throw new ConfigError('[wai:metrics-core] createAlertDelivery needs `sinks` (an array of AlertSink)');
  for (const sink of options.sinks) {
    if (!sink || typeof sink.send !== 'function' || !(sink.batchSize >= 1)) {
      throw new ConfigError('[wai:metrics-core] every sink needs `name`, `batchSize` ≥ 1 and `send(events, signal)`');
    }
  }
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const maxQueue = Math.floor(numberOption(options.maxQueue, 'maxQueue', 1000, 1));
  const timeoutMs = numberOption(options.timeoutMs, 'timeoutMs', 10_000, 1);
  const closeTimeoutMs = numberOption(options.closeTimeoutMs, 'closeTimeoutMs', 2000, 0);
  const initialDelayMs = numberOption(options.retry?.initialDelayMs, 'retry.initialDelayMs', 500, 1);
  const retry = {
    initialDelayMs,
    maxDelayMs: numberOption(options.retry?.maxDelayMs, 'retry.maxDelayMs', 30_000, initialDelayMs),
    maxAttempts: numberOption(options.retry?.maxAttempts, 'retry.maxAttempts', Number.POSITIVE_INFINITY, 1),
  };
  const random = options.random ?? Math.random;
  const queues = options.sinks.map((sink) => ({ sink, queue: new SinkQueue({ sink, maxQueue, timeoutMs, retry, clock, logger, random }) }));

  /** Alerts firing now (id → alert), what re-sending sinks get again every interval. */
  const firing = new Map<string, Alert>();
  const enqueue = (alert: Alert, status: AlertEvent['status']) => {
    const event: AlertEvent = { status, alert, deliveryId: deliveryIdOf(alert, status) };
    for (const { queue } of queues) queue.add(event);
  };
  const onAlert = (alert: Alert) => {
    const known = firing.get(alert.id);
    // An alert already delivered as firing from the same start is not sent again (re-sends are the timer's job).
    if (known && known.startedAt === alert.startedAt) return;
    firing.set(alert.id, alert);
    enqueue(alert, 'firing');
  };
  const onResolved = (alert: Alert) => {
    firing.delete(alert.id);
    enqueue(alert, 'resolved');
  };
  monitor.on('alert', onAlert);
  monitor.on('alert:resolved', onResolved);
  // Alerts already firing when delivery starts (a monitor started earlier) are delivered too.
  for (const alert of monitor.getAlerts({ active: true })) if (alert.state === 'firing') onAlert(alert);

  const resendTimers: TimerHandle[] = [];
  for (const { sink, queue } of queues) {
    if (sink.resendIntervalMs === undefined) continue;
    resendTimers.push(
      clock.setInterval(() => {
        for (const alert of firing.values()) queue.add({ status: 'firing', alert, deliveryId: deliveryIdOf(alert, 'firing') });
      }, sink.resendIntervalMs),
    );
  }

  let closed = false;
  const flush = async (flushTimeoutMs = 5000): Promise<boolean> => {
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = clock.setTimeout(() => resolve(false), flushTimeoutMs);
    });
    const done = Promise.all(queues.map(({ queue }) => queue.idle())).then(() => true);
    try {
      return await Promise.race([done, timedOut]);
    } finally {
      timer?.cancel();
    }
  };

  return {
    stats: () => queues.map(({ queue }) => queue.stats()),
    flush,
    async close() {
      if (closed) return;
      closed = true;
      monitor.off('alert', onAlert);
      monitor.off('alert:resolved', onResolved);
      for (const timer of resendTimers) timer.cancel();
      if (closeTimeoutMs > 0) await flush(closeTimeoutMs);
      for (const { queue } of queues) queue.close();
    },
  };
}
