import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '@wai/metrics-core';

/** Where a NAB corpus may sit relative to a directory on the way up from this package. */
const CANDIDATES = ['shared/datasets/nab', 'datasets/nab'];

const isCorpus = (directory: string): boolean => existsSync(join(directory, 'labels', 'combined_windows.json')) && existsSync(join(directory, 'data'));

/**
 * The NAB corpus directory (`data/`, `labels/`): `explicit` (the bench's `--data`), else `$WAI_NAB_DATA`, else the
 * first `shared/datasets/nab` or `datasets/nab` found in this package's directory or one of its parents (a checkout
 * or worktree beside a `shared/` folder finds it without configuration). Throws `ConfigError` saying what to set.
 */
export function findNabDirectory(explicit?: string, start: string = import.meta.dirname): string {
  const given = explicit ?? process.env.WAI_NAB_DATA;
  if (given !== undefined && given !== '') {
    const directory = resolve(given);
    if (!isCorpus(directory)) throw new ConfigError(`[wai:anomaly] NAB: ${directory} has no data/ and labels/combined_windows.json.`);
    return directory;
  }
  for (let directory = resolve(start); ; directory = dirname(directory)) {
    for (const candidate of CANDIDATES) if (isCorpus(join(directory, candidate))) return join(directory, candidate);
    if (dirname(directory) === directory) break;
  }
  throw new ConfigError(
    `[wai:anomaly] NAB: no corpus found in shared/datasets/nab or datasets/nab above ${start}; set WAI_NAB_DATA (or pass --data) to a NAB directory with data/ and labels/.`,
  );
}
