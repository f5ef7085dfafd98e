import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature, type WebhookBody } from '@wai/metrics-core/alerting';
import { hasAlertmanager, startAlertmanager, type AlertmanagerHandle } from '@wai/test-services';
import { request, startServer, type ServerProcess } from '../helpers/server-process.js';

const SECRET = 'e2e-webhook-secret';

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

// The built server configured only through ALERTMANAGER_URL / ALERT_WEBHOOK_URL / ALERT_WEBHOOK_SECRET: errors on
// the flaky demo route raise the error-rate alerts, a real Alertmanager and a local webhook receiver (down for its
// first two requests) get them, and both see them resolve once the errors are diluted.
describe.runIf(hasAlertmanager())('reference server alert delivery from the environment', () => {
  let alertmanager: AlertmanagerHandle;
  let receiver: Server;
  let server: ServerProcess;
  const hooks: Array<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> = [];

  beforeAll(async () => {
    alertmanager = await startAlertmanager();
    let refused = 0;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const status = refused++ < 2 ? 503 : 200;
        hooks.push({ status, body, headers: req.headers });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    server = await startServer({
      env: {
        ALERTMANAGER_URL: alertmanager.url,
        ALERT_WEBHOOK_URL: hookUrl,
        ALERT_WEBHOOK_SECRET: SECRET,
        ALERT_INSTANCE: 'ref-e2e',
        PERFORMANCE_MONITORING_INTERVAL: '300',
      },
    });
  });

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
    await new Promise((resolve) => receiver?.close(resolve));
    await alertmanager?.close();
  });

  it('delivers firing and resolved alerts to Alertmanager and the signed webhook', async () => {
    for (let i = 0; i < 15; i++) expect((await request(`${server.url}/api/demo/flaky?failRate=1`)).status).toBe(503);

    const ours = (list: Awaited<ReturnType<AlertmanagerHandle['alerts']>>) => list.filter((a) => a.labels.instance === 'ref-e2e' && a.labels.alertname === 'error_rate');
    const firing = ours(await until(alertmanager.alerts, (list) => ours(list).length >= 2));
    expect(firing.map((a) => a.labels.route ?? 'global').sort()).toEqual(['/api/demo/flaky', 'global']);
    expect(firing[0]!.labels.severity).toBe('critical');

    const delivered = () => hooks.filter((h) => h.status === 200).map((h) => JSON.parse(h.body) as WebhookBody);
    await until(delivered, (list) => list.filter((b) => b.status === 'firing').length >= 2);
    expect(hooks.slice(0, 2).map((h) => h.status)).toEqual([503, 503]);
    for (const hook of hooks) {
      const signature = { secret: SECRET, body: hook.body, timestamp: hook.headers['x-wai-timestamp'] as string, signature: hook.headers['x-wai-signature-256'] as string };
      expect(verifyWebhookSignature(signature)).toBe(true);
    }
    expect(delivered().find((b) => b.alert.id === 'error_rate:global')).toMatchObject({ status: 'firing', instance: 'ref-e2e' });

    // Dilute the errors below the recovery band (3 %) on the route and globally.
    for (let batch = 0; batch < 60; batch++) {
      await Promise.all(Array.from({ length: 10 }, () => request(`${server.url}/api/demo/flaky?failRate=0`)));
    }
    const left = ours(await until(alertmanager.alerts, (list) => ours(list).length === 0));
    expect(left).toEqual([]);
    await until(delivered, (list) => list.filter((b) => b.status === 'resolved').length >= 2);
    expect(delivered().filter((b) => b.status === 'resolved').map((b) => b.alert.id).sort()).toEqual(['error_rate:GET /api/demo/flaky', 'error_rate:global']);
  });
});
