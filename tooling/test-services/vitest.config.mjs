import { defineConfig } from 'vitest/config';
import { waiTestConfig } from './src/vitest.mjs';

export default defineConfig(waiTestConfig());
