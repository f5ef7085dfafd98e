import { libraryBuild } from '@wai/test-services/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(libraryBuild(['src/index.ts']));
