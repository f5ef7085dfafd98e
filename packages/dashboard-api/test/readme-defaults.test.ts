import { fileURLToPath } from 'node:url';
import { createPerformanceMonitor } from '@wai/metrics-core';
import { checkReadmeDefaults, describedOnly } from '@wai/test-services/readme';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/options.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const monitor = createPerformanceMonitor({ systemMetrics: false });
afterAll(() => monitor.close());

describe('README option tables', () => {
  it('match the resolved dashboard options', () => {
    // A token makes every route mount whatever NODE_ENV the suite runs under (`live` then reads its own default).
    const resolved = resolveOptions({ monitor, token: 'readme-check' });
    const problems = checkReadmeDefaults(readme, {
      monitor: describedOnly('required'),
      cache: resolved.cache,
      token: describedOnly('read from PERFORMANCE_DASHBOARD_TOKEN'),
      prefix: resolved.prefix,
      publicReads: resolved.publicReads,
      metricsPath: resolved.metricsPath,
      pagePath: describedOnly('`${prefix}/`, a template'),
      live: resolved.live,
      showQueryValues: resolved.showQueryValues,
      allowedOrigins: resolved.allowedOrigins,
      liveInterval: resolved.liveInterval,
      maxClients: resolved.maxClients,
      maxBufferedBytes: resolved.maxBufferedBytes,
      heartbeatInterval: resolved.heartbeatInterval,
      bodyLimit: resolved.bodyLimit,
      fleet: resolved.fleet,
      liveEndpoints: resolved.liveEndpoints,
      snapshotMaxAge: describedOnly('min(liveInterval, 1000), a formula'),
      environment: describedOnly('read from NODE_ENV'),
      logger: describedOnly("Fastify's logger when mounted on Fastify, else silent"),
    });
    expect(problems).toEqual([]);
    expect(resolveOptions({ monitor, token: 'readme-check', liveInterval: 400 }).snapshotMaxAge).toBe(400);
    expect(resolved.pagePath).toBe(`${resolved.prefix}/`);
  });
});
