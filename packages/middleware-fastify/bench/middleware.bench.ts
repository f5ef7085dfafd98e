/** Fastify benchmark: bare vs @wai plugin (timing) vs fastify-metrics; cached HITs vs bare and @fastify/caching; 5 ms routes cached vs uncached. */
import { runMiddlewareBench } from '@wai/test-services/http-bench';

await runMiddlewareBench(import.meta.url, {
  framework: 'Fastify 5', bareName: 'bare Fastify 5.12.8', waiLabel: '@wai waiPerformance (timing)', cacheLabel: 'config.cache',
  competitor: { variant: 'metrics', name: 'fastify-metrics 13.2.1' }, peerCache: { variant: 'hit-caching', name: '@fastify/caching 9.0.4' },
});
