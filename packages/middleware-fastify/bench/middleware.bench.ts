/** Fastify benchmark: bare vs @wai plugin (timing) vs fastify-metrics; 5 ms route cached vs uncached. */
import { fileURLToPath } from 'node:url';
import { runMiddlewareBench } from '../../middleware-express/bench/harness.js';

await runMiddlewareBench({
  server: fileURLToPath(new URL('./servers.ts', import.meta.url)),
  framework: 'Fastify 5',
  bareName: 'bare Fastify 5.12.8',
  competitor: { variant: 'metrics', name: 'fastify-metrics 13.2.1' },
  waiLabel: '@wai waiPerformance (timing)',
  cacheLabel: 'config.cache',
});
