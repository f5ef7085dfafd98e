import { defineConfig } from 'vitest/config';
import { waiTestConfig } from '@wai/test-services/vitest';

export default defineConfig(waiTestConfig());
