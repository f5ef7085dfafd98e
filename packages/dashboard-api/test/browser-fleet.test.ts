import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PerformanceMonitor } from '@wai/metrics-core';
import { createFleetPublisher, createFleetReader, type FleetPublisher } from '@wai/metrics-core/fleet';
import { deleteKeysWithPrefix, testRedis } from '@wai/test-services';
import { createTestMonitor, mount, type Mount } from './helpers.js';

const TOKEN = 'browser-fleet-token';
const PAGE = '/api/performance/enhanced/';

describe('the dashboard page with a fleet, in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let server: Mount;
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let namespace: string;
  let monitors: PerformanceMonitor[];
  let publishers: FleetPublisher[];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    redis = await testRedis('browser-fleet');
    namespace = redis.prefix.replace(/:$/, '');
    monitors = [createTestMonitor(), createTestMonitor()];
    monitors[0]!.trackEndpoint('/api/workshops/:id', 12, 200, 'GET');
    monitors[1]!.trackEndpoint('/api/workshops/:id', 48, 200, 'GET');
    publishers = monitors.map((monitor, index) => createFleetPublisher({ monitor, redis: redis.client, namespace, instanceId: `page-${index}`, interval: 500 }));
    await Promise.all(publishers.map((publisher) => publisher.publish()));
    server = await mount('express', { monitor: monitors[0]!, token: TOKEN, liveInterval: 200, fleet: createFleetReader({ redis: redis.client, namespace, cacheMs: 0 }) });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await Promise.all((publishers ?? []).map((publisher) => publisher.close()));
    await Promise.all((monitors ?? []).map((monitor) => monitor.close()));
    if (redis) {
      await deleteKeysWithPrefix(redis.client, `{${namespace}}`);
      await redis.close();
    }
  });

  it('shows the fleet by default with two instances, lists their health, and switches to this instance', async () => {
    await page.goto(`${server.baseUrl}${PAGE}`);
    await page.fill('#token', TOKEN);
    await page.dispatchEvent('#token', 'change');
    await page.waitForSelector('body[data-scope="fleet"]', { timeout: 5000 });
    expect(await page.locator('#scope').isVisible()).toBe(true);
    expect(await page.locator('#instances tbody tr[data-instance]').count()).toBe(2);
    expect(await page.locator('#instances tbody').textContent()).toContain('page-1');
    expect(await page.locator('#subtitle').textContent()).toContain('fleet of 2 instances');
    // The fleet's endpoint row counts both instances' requests.
    expect(await page.locator('#endpoints tbody').textContent()).toContain('/api/workshops/:id');

    await page.click('#instances tbody tr[data-instance="page-1"]');
    await page.waitForFunction(
      () => ((globalThis as unknown as { document: { querySelector(selector: string): { textContent: string } } }).document.querySelector('#instance-detail').textContent ?? '').includes('page-1'),
      undefined,
      { timeout: 3000 },
    );

    await page.click('[data-scope="instance"]');
    await page.waitForSelector('body[data-scope="instance"]');
    expect(pageErrors).toEqual([]);
  });
});
