import { hostname } from 'node:os';
import { systemClock, type Clock } from '../clock.js';
import { ConfigError } from '../errors.js';
import type { Alert } from '../contracts/findings.js';
import { httpUrl, numberOption, postJson, type AlertEvent, type AlertSink } from './alert-sink.js';

export interface AlertmanagerSinkOptions {
  /** Alertmanager's base URL (`http://alertmanager:9093`); alerts go to `<url>/api/v2/alerts`. */
  url: string;
  /** The `instance` label. @default `<hostname>:<pid>` */
  instance?: string;
  /** Labels added to every alert (e.g. `{ service: 'workshops', env: 'prod' }`); they cannot replace the built-in ones. */
  labels?: Record<string, string>;
  /** A link back to where the alert can be seen (e.g. the dashboard), per alert or fixed. */
  generatorURL?: string | ((alert: Alert) => string);
  /**
   * Firing alerts are re-posted this often, as Prometheus does: Alertmanager resolves an alert whose `endsAt`
   * passes without a re-send. @default 60000
   */
  resendIntervalMs?: number;
  /** `endsAt` of a firing alert is this far after each send, so a dead instance's alerts resolve on their own. @default 4 × resendIntervalMs */
  endsAfterMs?: number;
  /** Most alerts per POST. @default 64 */
  batchSize?: number;
  /** Extra request headers (e.g. `authorization` for an Alertmanager behind a proxy). */
  headers?: Record<string, string>;
  clock?: Clock;
}

/** An alert in Alertmanager's v2 API (`postableAlert` in its OpenAPI spec). */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

const RESERVED = new Set(['alertname', 'severity', 'route', 'instance', 'alert_id']);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A sink for Prometheus Alertmanager's v2 API (`POST /api/v2/alerts`). Labels: `alertname` (the alert's type),
 * `severity`, `instance`, `alert_id` (the monitor's stable id, so two conditions of one type stay two alerts),
 * `route` when the alert has one, plus `labels`. Resolved alerts are posted with `endsAt` = their resolve time.
 */
export function createAlertmanagerSink(options: AlertmanagerSinkOptions): AlertSink {
  const base = httpUrl(options?.url, 'AlertmanagerSinkOptions.url').replace(/\/+$/, '');
  const endpoint = `${base}/api/v2/alerts`;
  const clock = options.clock ?? systemClock;
  const instance = options.instance ?? `${hostname()}:${process.pid}`;
  const resendIntervalMs = numberOption(options.resendIntervalMs, 'AlertmanagerSinkOptions.resendIntervalMs', 60_000, 100);
  const endsAfterMs = numberOption(options.endsAfterMs, 'AlertmanagerSinkOptions.endsAfterMs', 4 * resendIntervalMs, resendIntervalMs);
  const batchSize = Math.floor(numberOption(options.batchSize, 'AlertmanagerSinkOptions.batchSize', 64, 1));
  const extra = options.labels ?? {};
  for (const [name, value] of Object.entries(extra)) {
    if (!LABEL_NAME.test(name) || RESERVED.has(name) || typeof value !== 'string') {
      throw new ConfigError(`[wai:metrics-core] AlertmanagerSinkOptions.labels: "${name}" must be a Prometheus label name (not ${[...RESERVED].join(', ')}) with a string value`);
    }
  }
  const headers = options.headers ?? {};

  const toAlertmanager = (event: AlertEvent, now: number): AlertmanagerAlert => {
    const { alert } = event;
    const labels: Record<string, string> = { ...extra, alertname: alert.type, severity: alert.severity, instance, alert_id: alert.id };
    if (alert.route !== undefined) labels.route = alert.route;
    const endsAt = event.status === 'resolved' ? (alert.resolvedAt ?? now) : now + endsAfterMs;
    const generator = typeof options.generatorURL === 'function' ? options.generatorURL(alert) : options.generatorURL;
    return {
      labels,
      annotations: { summary: alert.message, value: String(alert.value), threshold: String(alert.threshold) },
      startsAt: new Date(alert.startedAt).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
      ...(generator ? { generatorURL: generator } : {}),
    };
  };

  return {
    name: `alertmanager ${new URL(base).host}`,
    batchSize,
    resendIntervalMs,
    async send(events, signal) {
      const now = clock.now();
      await postJson(endpoint, JSON.stringify(events.map((event) => toAlertmanager(event, now))), headers, signal, 'alertmanager');
    },
  };
}
