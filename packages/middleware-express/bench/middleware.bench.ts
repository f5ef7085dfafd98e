/** Express benchmark: bare vs @wai timing vs express-prom-bundle; cached HITs vs bare and apicache; 5 ms routes cached vs uncached. */
import { runMiddlewareBench } from '@wai/test-services/http-bench';

await runMiddlewareBench(import.meta.url, {
  framework: 'Express 5', bareName: 'bare Express 5.3.0', waiLabel: '@wai initializePerformanceSystem timing (instrumentApp)', cacheLabel: 'intelligentCache',
  competitor: { variant: 'prom', name: 'express-prom-bundle 8.0.0' }, peerCache: { variant: 'hit-apicache', name: 'apicache 1.6.3' },
  alternative: {
    variant: 'wai-middleware',
    label: '@wai enhancedRequestTiming as an app.use middleware',
    baseline: { variant: 'bare-layer', name: 'bare Express 5.3.0 + one empty app.use layer' },
  },
});
