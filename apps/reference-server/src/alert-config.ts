import { hostname } from 'node:os';
import { ConfigError } from '@wai/metrics-core';
import { integer, type Env } from './config-values.js';

/** Where the monitor's alerts are delivered (`@wai/metrics-core/alerting`); nothing is sent when no URL is set. */
export interface AlertConfig {
  /** `ALERTMANAGER_URL` — Alertmanager's base URL (`http://alertmanager:9093`); alerts go to `/api/v2/alerts`. */
  alertmanagerUrl: string | undefined;
  /** `ALERT_WEBHOOK_URL` — a URL that gets one JSON POST per firing / resolved alert (Slack-style `text` included). */
  webhookUrl: string | undefined;
  /** `ALERT_WEBHOOK_SECRET` — signs webhook bodies (`x-wai-signature-256`, HMAC-SHA256); needs `ALERT_WEBHOOK_URL`. */
  webhookSecret: string | undefined;
  /** `ALERT_INSTANCE` — the `instance` label / field. @default `<hostname>:<PORT>` */
  instance: string;
  /** `ALERT_TIMEOUT_MS` — longest one delivery attempt may take before it is retried. @default 10000 */
  timeoutMs: number;
  /** `ALERT_QUEUE_MAX` — events kept per receiver while it is unreachable; beyond it the oldest are dropped. @default 1000 */
  maxQueue: number;
  /** `ALERTMANAGER_RESEND_MS` — firing alerts are re-posted to Alertmanager this often. @default 60000 */
  resendIntervalMs: number;
}

function url(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  let valid = /^https?:\/\//i.test(raw);
  try {
    new URL(raw);
  } catch {
    valid = false;
  }
  // Only the scheme is echoed back: webhook URLs often carry a token.
  if (!valid) throw new ConfigError(`[wai:reference-server] ${name} must be an http:// or https:// URL, got a value starting "${raw.slice(0, 8)}"`);
  return raw;
}

export function readAlertConfig(env: Env, port: number): AlertConfig {
  const webhookUrl = url(env, 'ALERT_WEBHOOK_URL');
  const webhookSecret = env.ALERT_WEBHOOK_SECRET || undefined;
  if (webhookSecret !== undefined && webhookUrl === undefined) {
    throw new ConfigError('[wai:reference-server] ALERT_WEBHOOK_SECRET is set but ALERT_WEBHOOK_URL is not: set the URL or drop the secret');
  }
  return {
    alertmanagerUrl: url(env, 'ALERTMANAGER_URL'),
    webhookUrl,
    webhookSecret,
    instance: env.ALERT_INSTANCE?.trim() || `${hostname()}:${port}`,
    timeoutMs: integer(env, 'ALERT_TIMEOUT_MS', 10_000, 100, 600_000),
    maxQueue: integer(env, 'ALERT_QUEUE_MAX', 1000, 1, 1_000_000),
    resendIntervalMs: integer(env, 'ALERTMANAGER_RESEND_MS', 60_000, 100, 86_400_000),
  };
}
