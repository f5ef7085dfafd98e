import { describe, expect, it } from 'vitest';
import { ConfigError } from '@wai/metrics-core';
import { readServerConfig } from './config.js';

describe('alert delivery settings', () => {
  it('sends nowhere by default', () => {
    const { alerts } = readServerConfig({});
    expect(alerts).toMatchObject({ alertmanagerUrl: undefined, webhookUrl: undefined, webhookSecret: undefined, timeoutMs: 10_000, maxQueue: 1000, resendIntervalMs: 60_000 });
    expect(alerts.instance).toMatch(/:3001$/);
  });

  it('reads ALERTMANAGER_URL, ALERT_WEBHOOK_URL, ALERT_WEBHOOK_SECRET, ALERT_INSTANCE and the limits', () => {
    const { alerts } = readServerConfig({
      ALERTMANAGER_URL: 'http://alertmanager:9093',
      ALERT_WEBHOOK_URL: 'https://hooks.example.com/T000/B000/XXX',
      ALERT_WEBHOOK_SECRET: 's3cret',
      ALERT_INSTANCE: 'api-1',
      ALERT_TIMEOUT_MS: '2500',
      ALERT_QUEUE_MAX: '50',
      ALERTMANAGER_RESEND_MS: '30000',
    });
    expect(alerts).toEqual({
      alertmanagerUrl: 'http://alertmanager:9093',
      webhookUrl: 'https://hooks.example.com/T000/B000/XXX',
      webhookSecret: 's3cret',
      instance: 'api-1',
      timeoutMs: 2500,
      maxQueue: 50,
      resendIntervalMs: 30_000,
    });
  });

  it('refuses bad values by name, without echoing a webhook URL', () => {
    expect(() => readServerConfig({ ALERTMANAGER_URL: 'alertmanager:9093' })).toThrow(ConfigError);
    expect(() => readServerConfig({ ALERTMANAGER_URL: 'alertmanager:9093' })).toThrow(/ALERTMANAGER_URL/);
    const bad = () => readServerConfig({ ALERT_WEBHOOK_URL: 'hooks.example.com/secret-token' });
    expect(bad).toThrow(/ALERT_WEBHOOK_URL/);
    expect(bad).not.toThrow(/secret-token/);
    expect(() => readServerConfig({ ALERT_WEBHOOK_SECRET: 'x' })).toThrow(/ALERT_WEBHOOK_URL is not/);
    expect(() => readServerConfig({ ALERT_QUEUE_MAX: '0' })).toThrow(/ALERT_QUEUE_MAX/);
    expect(() => readServerConfig({ ALERT_TIMEOUT_MS: 'soon' })).toThrow(/ALERT_TIMEOUT_MS/);
  });
});
