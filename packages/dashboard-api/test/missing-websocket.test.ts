import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@wai/metrics-core';
import { createDashboardApiPlugin } from '../src/fastify-plugin.js';
import type { WebsocketImporter } from '../src/websocket-loader.js';
import { createTestMonitor } from './helpers.js';

// A real failed import (a package that is not installed), standing in for @fastify/websocket being absent.
const importMissing: WebsocketImporter = () => import('@wai/not-installed-websocket-plugin' as string) as Promise<{ default: unknown }>;

describe('the Fastify plugin without @fastify/websocket', () => {
  const apps: Array<ReturnType<typeof Fastify>> = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close().catch(() => {})));
  });

  it('fails to register with a ConfigError that says to install it or set live: false', async () => {
    const app = Fastify();
    apps.push(app);
    // Awaiting register loads the plugin, so the failure surfaces there (and again from ready() / listen()).
    const failure = await app.register(createDashboardApiPlugin(importMissing), { monitor: createTestMonitor(), token: 't'.repeat(32) }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).code).toBe('E_CONFIG_INVALID');
    expect((failure as Error).message).toMatch(/@fastify\/websocket/);
    expect((failure as Error).message).toMatch(/live: false/);
    expect(((failure as Error).cause as { code?: string }).code).toBe('ERR_MODULE_NOT_FOUND');
  });

  it('registers and serves the routes with live: false', async () => {
    const app = Fastify();
    apps.push(app);
    await app.register(createDashboardApiPlugin(importMissing), { monitor: createTestMonitor(), token: 't'.repeat(32), live: false });
    await app.ready();
    const response = await app.inject({ method: 'GET', url: '/api/performance/enhanced/health' });
    expect(response.statusCode).toBe(200);
  });
});
