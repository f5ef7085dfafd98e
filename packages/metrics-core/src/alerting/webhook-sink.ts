import { createHmac, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../clock.js';
import { ConfigError } from '../errors.js';
import { httpUrl, postJson, redactUrl, type AlertEvent, type AlertSink } from './alert-sink.js';

export interface WebhookSinkOptions {
  /** Where to POST (one request per alert event). */
  url: string;
  /** When set, each request carries `x-wai-signature-256: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
  secret?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** The body for an event. @default {@link defaultWebhookBody} (has `text`, which Slack-style receivers show) */
  format?: (event: AlertEvent, instance: string) => unknown;
  /** Sent as `instance` in the default body. @default `<hostname>:<pid>` */
  instance?: string;
  clock?: Clock;
}

/** The default JSON body: the alert as the monitor has it, its status, a human line in `text`. */
export interface WebhookBody {
  version: 1;
  status: AlertEvent['status'];
  deliveryId: string;
  instance: string;
  text: string;
  alert: AlertEvent['alert'];
}

export function defaultWebhookBody(event: AlertEvent, instance: string): WebhookBody {
  const { alert } = event;
  const text = `[${event.status.toUpperCase()}] ${alert.severity} ${alert.type}${alert.route ? ` ${alert.route}` : ''} on ${instance}: ${alert.message}`;
  return { version: 1, status: event.status, deliveryId: event.deliveryId, instance, text, alert };
}

/** `sha256=<hex>` for `body` sent at `timestamp` (seconds), as the webhook sink signs it. */
export function signWebhookBody(secret: string, timestamp: number | string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * For receivers: true when `signature` (the `x-wai-signature-256` header) matches `body` and `timestamp` (the
 * `x-wai-timestamp` header) and the timestamp is within `toleranceSeconds` of now (a replayed request is refused).
 */
export function verifyWebhookSignature(input: { secret: string; body: string; timestamp: string | undefined; signature: string | undefined; toleranceSeconds?: number; now?: number }): boolean {
  const { secret, body, timestamp, signature } = input;
  if (!timestamp || !signature) return false;
  const sent = Number(timestamp);
  const now = (input.now ?? Date.now()) / 1000;
  if (!Number.isFinite(sent) || Math.abs(now - sent) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhookBody(secret, timestamp, body));
  const actual = Buffer.from(signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * A sink that POSTs each alert event as JSON to a URL (Slack-style incoming webhooks, PagerDuty-style relays, your
 * own service). Headers: `x-wai-delivery` (the same on retries: receivers drop repeats), `x-wai-timestamp`, and
 * `x-wai-signature-256` when a secret is set.
 */
export function createWebhookSink(options: WebhookSinkOptions): AlertSink {
  const url = httpUrl(options?.url, 'WebhookSinkOptions.url');
  if (options.secret !== undefined && (typeof options.secret !== 'string' || options.secret.length === 0)) {
    throw new ConfigError('[wai:metrics-core] WebhookSinkOptions.secret must be a non-empty string when given');
  }
  if (options.format !== undefined && typeof options.format !== 'function') throw new ConfigError('[wai:metrics-core] WebhookSinkOptions.format must be a function');
  const clock = options.clock ?? systemClock;
  const instance = options.instance ?? `${hostname()}:${process.pid}`;
  const format = options.format ?? defaultWebhookBody;
  const headers = options.headers ?? {};
  return {
    name: `webhook ${redactUrl(url)}`,
    batchSize: 1,
    async send(events, signal) {
      for (const event of events) {
        const body = JSON.stringify(format(event, instance));
        const timestamp = String(Math.floor(clock.now() / 1000));
        const signed: Record<string, string> = { ...headers, 'x-wai-delivery': event.deliveryId, 'x-wai-timestamp': timestamp };
        if (options.secret) signed['x-wai-signature-256'] = signWebhookBody(options.secret, timestamp, body);
        await postJson(url, body, signed, signal, 'webhook');
      }
    },
  };
}
