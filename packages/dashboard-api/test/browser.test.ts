import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PerformanceMonitor } from '@wai/metrics-core';
import { createMapCache, createTestMonitor, mount, type MapCache, type Mount } from './helpers.js';

const TOKEN = 'browser-token';
const PAGE = '/api/performance/enhanced/';

describe('the dashboard page in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let server: Mount;
  let monitor: PerformanceMonitor;
  let cache: MapCache;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    monitor = createTestMonitor({ interval: 1000 });
    cache = createMapCache();
    monitor.addCacheSource('main', cache);
    server = await mount('express', { monitor, cache, token: TOKEN });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // CSP violations would mean the page tried to load something we do not serve.
      if (message.text().includes('Content Security Policy')) pageErrors.push(message.text());
    });
    page.on('requestfailed', (failed) => pageErrors.push(`request failed: ${failed.url()}`));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await monitor?.close();
  });

  it('loads with every asset served by the package, and asks for the token for live updates', async () => {
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const response = await page.goto(`${server.baseUrl}${PAGE}`);
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe('Performance dashboard');
    expect(requested.every((url) => url.startsWith(server.baseUrl))).toBe(true);
    expect(requested.some((url) => url.endsWith('/assets/uplot.js'))).toBe(true);
    expect(await page.locator('.uplot').count()).toBe(6);
    await page.waitForSelector('#connection[data-state="auth"]');
  });

  it('a chart updates from the WebSocket within 3 s of traffic', async () => {
    await page.fill('#token', TOKEN);
    await page.dispatchEvent('#token', 'change');
    await page.waitForSelector('#connection[data-state="live"]');
    const before = await page.getAttribute('[data-chart="rps"]', 'data-last');
    expect(Number(before ?? 0)).toBe(0);
    for (let i = 0; i < 30; i += 1) await fetch(`${server.baseUrl}/api/workshops/${i}`);
    const started = Date.now();
    // A function, not a string: the page's CSP forbids eval.
    await page.waitForFunction(
      () => Number((globalThis as unknown as { document: { querySelector(selector: string): { dataset: Record<string, string> } } }).document.querySelector('[data-chart="rps"]').dataset.last) > 0,
      undefined,
      { timeout: 3000 },
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await page.locator('#endpoints tbody').textContent()).toContain('/api/workshops/:id');
    expect(pageErrors).toEqual([]);
  });

  it('switches to the 1 h range and draws it from GET history', async () => {
    await monitor.sample(); // at least one history point
    const historyRequests: string[] = [];
    const listener = (r: { url(): string }) => {
      if (r.url().includes('/history?')) historyRequests.push(r.url());
    };
    page.on('request', listener);
    await page.click('[data-range="1h"]');
    await page.waitForSelector('[data-range="1h"].active');
    await page.waitForFunction(
      () => Number((globalThis as unknown as { document: { querySelector(selector: string): { dataset: Record<string, string> } } }).document.querySelector('[data-chart="latency"]').dataset.points) > 0,
    );
    page.off('request', listener);
    expect(historyRequests.some((url) => url.includes('metric=latency_p95') && url.includes('step=15000'))).toBe(true);
    await page.click('[data-range="5m"]');
  });

  it('invalidates a key with the token and shows the result', async () => {
    cache.entries.set('user:1:profile', { value: 1, tags: ['user'] });
    await page.selectOption('#invalidate-kind', 'key');
    await page.fill('#invalidate-value', 'user:1:profile');
    await page.click('#invalidate');
    await expect(page.locator('#action-status[data-kind="ok"]').textContent()).resolves.toBe('Deleted key user:1:profile');
    expect(cache.entries.has('user:1:profile')).toBe(false);
  });

  it('without the token the invalidate button fails visibly and nothing is invalidated', async () => {
    cache.entries.set('user:2:profile', { value: 2, tags: ['user'] });
    await page.fill('#token', '');
    await page.dispatchEvent('#token', 'change');
    const prompts: string[] = [];
    page.once('dialog', (dialog) => {
      prompts.push(dialog.type());
      void dialog.dismiss();
    });
    await page.selectOption('#invalidate-kind', 'all');
    await page.click('#invalidate');
    const status = page.locator('#action-status[data-kind="error"]');
    await status.waitFor();
    expect(await status.textContent()).toMatch(/^401: .*Bearer/);
    expect(await status.isVisible()).toBe(true);
    expect(prompts).toEqual(['prompt']); // it asked for the token first
    expect(cache.entries.has('user:2:profile')).toBe(true);
  });
});
