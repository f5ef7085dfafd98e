/**
 * The one benchmark result format (STYLE.md) and the small statistics every `bench/` script needs, so each
 * package's benchmark writes `bench/results/<file>.json` the same way and `scripts/readme-bench.ts` reads it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { mulberry32 } from './random.js';

export interface BenchRow {
  name: string;
  unit: string;
  ours: number;
  ours_p99?: number;
  /** Unit of `ours_p99` when it differs from `unit` (e.g. ms latency next to ops/s). */
  p99_unit?: string;
  baseline: { name: string; value: number };
  /** Further competitors measured in the same run. */
  competitors?: Array<{ name: string; value: number; p99?: number }>;
  ratio: number;
  target: string;
  met: boolean;
  note?: string;
  /** Overrides the unit-based guess of which direction is better. */
  higherIsBetter?: boolean;
}

export interface BenchResult {
  package: string;
  date: string;
  node: string;
  cpus: number;
  rows: BenchRow[];
  [extra: string]: unknown;
}

/** `<repo>/bench/results`, where every package's results live (committed; the README is generated from them). */
export const BENCH_RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/results');

export const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** The q-quantile (0..1, nearest rank) of the values; does not reorder the caller's array. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

export const median = (values: readonly number[]): number => percentile(values, 0.5);

/** Writes `bench/results/<file>` with the run's date, Node version and CPU count; returns the path. */
export function writeBenchResult(file: string, packageName: string, rows: BenchRow[], extra: Record<string, unknown> = {}): string {
  const result: BenchResult = { package: packageName, date: new Date().toISOString(), node: process.version, cpus: cpus().length, rows, ...extra };
  mkdirSync(BENCH_RESULTS_DIR, { recursive: true });
  const path = join(BENCH_RESULTS_DIR, file);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}
