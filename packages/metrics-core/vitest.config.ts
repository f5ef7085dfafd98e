import { defineConfig } from 'vitest/config';
import { waiTestConfig } from '@wai/test-services/vitest';

// Without the `module` export condition that waiTestConfig adds: @opentelemetry/* map it to builds that import
// files without extensions, which Node's ESM loader refuses.
const shared = waiTestConfig();
const conditions = ['@wai/source', 'node'];
export default defineConfig({ ...shared, resolve: { conditions }, ssr: { resolve: { conditions } } });
