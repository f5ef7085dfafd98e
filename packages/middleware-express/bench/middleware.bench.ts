/** Express benchmark: bare vs @wai timing vs express-prom-bundle; 5 ms route cached vs uncached. */
import { fileURLToPath } from 'node:url';
import { runMiddlewareBench } from './harness.js';

await runMiddlewareBench({
  server: fileURLToPath(new URL('./servers.ts', import.meta.url)),
  framework: 'Express 5',
  bareName: 'bare Express 5.3.0',
  competitor: { variant: 'prom', name: 'express-prom-bundle 8.0.0' },
  waiLabel: '@wai initializePerformanceSystem timing (instrumentApp)',
  alternative: { variant: 'wai-middleware', label: '@wai enhancedRequestTiming as an app.use middleware' },
  cacheLabel: 'intelligentCache',
});
