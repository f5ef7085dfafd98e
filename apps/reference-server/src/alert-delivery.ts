import type { Logger, PerformanceMonitor } from '@wai/metrics-core';
import { createAlertDelivery, createAlertmanagerSink, createWebhookSink, type AlertDelivery, type AlertSink } from '@wai/metrics-core/alerting';
import type { AlertConfig } from './alert-config.js';

/** The alert sinks `ALERTMANAGER_URL` / `ALERT_WEBHOOK_URL` ask for, or `undefined` when neither is set. */
export function startAlertDelivery(monitor: PerformanceMonitor, config: AlertConfig, logger: Logger): AlertDelivery | undefined {
  const sinks: AlertSink[] = [];
  if (config.alertmanagerUrl) {
    sinks.push(createAlertmanagerSink({ url: config.alertmanagerUrl, instance: config.instance, resendIntervalMs: config.resendIntervalMs }));
  }
  if (config.webhookUrl) {
    sinks.push(createWebhookSink({ url: config.webhookUrl, instance: config.instance, ...(config.webhookSecret ? { secret: config.webhookSecret } : {}) }));
  }
  if (sinks.length === 0) return undefined;
  logger.info({ sinks: sinks.map((sink) => sink.name), instance: config.instance }, 'alert delivery on');
  return createAlertDelivery({ monitor, sinks, timeoutMs: config.timeoutMs, maxQueue: config.maxQueue, logger });
}
