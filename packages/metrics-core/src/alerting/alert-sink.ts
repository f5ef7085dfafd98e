import type { Alert } from '../contracts/findings.js';
import { ConfigError, WaiError } from '../errors.js';

/** One state change of an alert, as a sink receives it. */
export interface AlertEvent {
  status: 'firing' | 'resolved';
  alert: Alert;
  /**
   * Stable for one (alert id, status, start): the same value on every retry and re-send, so a receiver can
   * drop deliveries it already has (webhooks send it as `x-wai-delivery`).
   */
  deliveryId: string;
}

/**
 * Where alerts go (Alertmanager, a webhook, or your own). When `send` rejects, the batch is retried with backoff,
 * unless the error is a `SinkError` with `retryable: false` (then it is dropped and counted as failed).
 */
export interface AlertSink {
  readonly name: string;
  /** Most events handed to one `send` call. */
  readonly batchSize: number;
  /**
   * Firing alerts are handed to the sink again at this interval while they fire (Alertmanager forgets an alert
   * that is not re-sent before its `endsAt`). Absent: each state change is sent once.
   */
  readonly resendIntervalMs?: number;
  send(events: readonly AlertEvent[], signal: AbortSignal): Promise<void>;
}

/**
 * A delivery that failed. `retryable` false (a 4xx other than 408/425/429: bad URL, auth, payload) drops the
 * batch at once, since sending it again would fail the same way; `retryAfterMs` honours a receiver's Retry-After.
 */
export class SinkError extends WaiError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { retryable: boolean; retryAfterMs?: number; cause?: unknown; status?: number }) {
    super('E_ALERT_DELIVERY', message, {
      statusCode: 502,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      ...(options.status === undefined ? {} : { details: { status: options.status } }),
    });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function deliveryIdOf(alert: Alert, status: AlertEvent['status']): string {
  return `${alert.id}@${alert.startedAt}:${status}`;
}

/**
 * Sends `body` and turns the outcome into success or a `SinkError`: network errors, timeouts, 408, 425, 429 and
 * 5xx are retryable; other non-2xx statuses are not.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, signal: AbortSignal, sinkName: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'user-agent': 'wai-alerting', ...headers }, signal });
  } catch (error) {
    const reason = signal.aborted ? 'aborted (the attempt timed out, or delivery closed)' : error instanceof Error ? error.message : String(error);
    throw new SinkError(`[wai:metrics-core] ${sinkName}: POST ${redactUrl(url)} failed: ${reason}`, { retryable: true, cause: error });
  }
  // The body is read so the connection returns to the pool (and its text explains a rejection).
  const text = await response.text().catch(() => '');
  if (response.ok) return;
  const status = response.status;
  const retryable = status === 408 || status === 425 || status === 429 || status >= 500;
  const retryAfter = retryAfterMs(response.headers.get('retry-after'));
  throw new SinkError(`[wai:metrics-core] ${sinkName}: POST ${redactUrl(url)} answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}`, {
    retryable,
    status,
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
  });
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from now; capped at 5 minutes. */
function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 300_000) : undefined;
}

/** Webhook URLs often carry a token in the path or query (Slack's do): never log them whole. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.length > 1 ? '/…' : '/'}`;
  } catch {
    return '(invalid URL)';
  }
}

/** An http(s) URL or a `ConfigError` naming the option. */
export function httpUrl(value: unknown, option: string): string {
  let valid = typeof value === 'string' && /^https?:\/\//i.test(value);
  if (valid) {
    try {
      new URL(value as string);
    } catch {
      valid = false;
    }
  }
  if (!valid) {
    throw new ConfigError(`[wai:metrics-core] ${option} must be an http:// or https:// URL, got ${typeof value === 'string' ? `"${redactUrl(value)}"` : typeof value}`);
  }
  return value as string;
}

/** A number in `[min, max]` (or `fallback` when undefined), else a `ConfigError` naming the option. */
export function numberOption(value: number | undefined, option: string, fallback: number, min: number, max = Number.POSITIVE_INFINITY): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw new ConfigError(`[wai:metrics-core] ${option} must be a number from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
