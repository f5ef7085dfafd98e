import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '@wai/metrics-core';
import type { NabWindow } from './scorer.js';

/** One NAB data file: `<category>/<name>.csv` with its rows and labelled windows (as row indices). */
export interface NabSeries {
  file: string;
  category: string;
  timestamps: number[];
  values: number[];
  windows: NabWindow[];
}

/** Parses NAB's `YYYY-MM-DD HH:MM:SS[.ffffff]` timestamps as UTC epoch milliseconds. */
export function parseNabTimestamp(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?/.exec(text.trim());
  if (match === null) throw new ValidationError('E_INVALID_ARGUMENT', `[wai:anomaly] NAB: cannot parse timestamp "${text}".`);
  const [, year, month, day, hour, minute, second, fraction] = match;
  const millis = fraction === undefined ? 0 : Math.round(Number(`0.${fraction}`) * 1000);
  return Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), millis);
}

/** Reads a two-column CSV with a header (`timestamp,value` or `timestamp,anomaly_score`). */
export function readNabCsv(path: string, { parseTimestamps = true }: { parseTimestamps?: boolean } = {}): { timestamps: number[]; values: number[] } {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let index = 1; index < lines.length; index += 1) {
    const line = lines[index] as string;
    if (line.trim() === '') continue;
    const comma = line.indexOf(',');
    if (parseTimestamps) timestamps.push(parseNabTimestamp(line.slice(0, comma)));
    const rest = line.slice(comma + 1);
    const nextComma = rest.indexOf(',');
    values.push(Number(nextComma === -1 ? rest : rest.slice(0, nextComma)));
  }
  return { timestamps, values };
}

/** Resolves `[start, end]` timestamp windows to inclusive row ranges (first row ≥ start, last row ≤ end). */
export function resolveWindows(timestamps: readonly number[], limits: ReadonlyArray<readonly [string, string]>): NabWindow[] {
  return limits.map(([startText, endText]) => {
    const start = parseNabTimestamp(startText);
    const end = parseNabTimestamp(endText);
    let first = timestamps.findIndex((timestamp) => timestamp >= start);
    let last = -1;
    for (let index = timestamps.length - 1; index >= 0; index -= 1) {
      if ((timestamps[index] as number) <= end) {
        last = index;
        break;
      }
    }
    if (first === -1) first = timestamps.length;
    return { start: first, end: last };
  });
}

/** Loads every series of a NAB directory (`data/`, `labels/combined_windows.json`), sorted by file name. */
export function loadNabCorpus(root: string): NabSeries[] {
  const windowsByFile = JSON.parse(readFileSync(join(root, 'labels', 'combined_windows.json'), 'utf8')) as Record<string, Array<[string, string]>>;
  const series: NabSeries[] = [];
  for (const category of readdirSync(join(root, 'data')).sort()) {
    for (const name of readdirSync(join(root, 'data', category)).sort()) {
      if (!name.endsWith('.csv')) continue;
      const file = `${category}/${name}`;
      const { timestamps, values } = readNabCsv(join(root, 'data', category, name));
      series.push({ file, category, timestamps, values, windows: resolveWindows(timestamps, windowsByFile[file] ?? []) });
    }
  }
  return series;
}
