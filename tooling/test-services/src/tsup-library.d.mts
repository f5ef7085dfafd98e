import type { Options } from 'tsup';

/** The tsup build every @wai library package shares: ESM + CJS with .d.ts for Node 20. */
export function libraryBuild(entry: string[] | Record<string, string>, overrides?: Options): Options;
