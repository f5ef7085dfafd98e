// `@wai/metrics-core/alerting`: deliver the monitor's alerts to Alertmanager and webhooks.
export { createAlertDelivery, type AlertDelivery, type AlertDeliveryOptions } from './alert-delivery.js';
export { SinkError, type AlertEvent, type AlertSink } from './alert-sink.js';
export { createAlertmanagerSink, type AlertmanagerAlert, type AlertmanagerSinkOptions } from './alertmanager-sink.js';
export type { RetryPolicy, SinkStats } from './sink-queue.js';
export {
  createWebhookSink,
  defaultWebhookBody,
  signWebhookBody,
  verifyWebhookSignature,
  type WebhookBody,
  type WebhookSinkOptions,
} from './webhook-sink.js';
