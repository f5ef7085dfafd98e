/**
 * Generates the benchmark section of the root README and its charts from `bench/results/*.json` (the format
 * in STYLE.md), so the numbers a reader sees are the numbers a benchmark run wrote — never typed by hand.
 *
 *   pnpm tsx scripts/readme-bench.ts            # rewrites docs/bench-*.svg and README.md between the markers
 *   pnpm tsx scripts/readme-bench.ts --check    # exits 1 when README.md or a chart is out of date (for CI)
 *
 * Options: --results <dir> (default bench/results), --readme <file> (default README.md), --docs <dir>
 * (default docs). The README must contain `<!-- bench:start -->` and `<!-- bench:end -->`; only the text
 * between them is replaced.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const START_MARKER = '<!-- bench:start -->';
export const END_MARKER = '<!-- bench:end -->';

export interface BenchRow {
  name: string;
  unit: string;
  ours: number;
  ours_p99?: number;
  baseline?: { name: string; value: number };
  ratio?: number;
  target?: string;
  met?: boolean;
  /** Overrides the unit-based guess of which direction is better. */
  higherIsBetter?: boolean;
}

export interface BenchResult {
  package: string;
  date: string;
  node?: string;
  cpus?: number;
  rows: BenchRow[];
}

/**
 * Units where a bigger number is better: throughput (`req/s`, `ops/s`), hit ratios (`% hits`) and scores.
 * Every other unit is a cost (time per op, bytes, calls, errors). A row may say so itself with
 * `"higherIsBetter": true | false`.
 */
export function higherIsBetter(unit: string): boolean {
  if (/^(n|µ|u|m)?s\/(op|point|call|request)$/i.test(unit.trim())) return false;
  return /\/\s*s(ec)?$|per\s*s(ec(ond)?)?$|\bhits?\b|score|throughput|accuracy|precision|recall/i.test(unit);
}

/**
 * How many times better than the baseline ours is (>1 = better), whichever direction the unit goes.
 * Undefined when there is no usable baseline.
 */
export function speedup(row: BenchRow): number | undefined {
  const base = row.baseline?.value;
  if (base === undefined || !Number.isFinite(base) || base <= 0 || !Number.isFinite(row.ours) || row.ours <= 0) return undefined;
  const higher = typeof row.higherIsBetter === 'boolean' ? row.higherIsBetter : higherIsBetter(row.unit);
  return higher ? row.ours / base : base / row.ours;
}

function isRow(value: unknown): value is BenchRow {
  if (typeof value !== 'object' || value === null) return false;
  const row = value as Record<string, unknown>;
  return typeof row.name === 'string' && typeof row.unit === 'string' && typeof row.ours === 'number';
}

/** Reads every results file; files that are not in the format are reported, not silently skipped. */
export function readResults(directory: string): { results: BenchResult[]; problems: string[] } {
  const results: BenchResult[] = [];
  const problems: string[] = [];
  if (!existsSync(directory)) return { results, problems: [`${directory} does not exist`] };
  for (const file of readdirSync(directory).filter((f) => f.endsWith('.json')).sort()) {
    try {
      const parsed = JSON.parse(readFileSync(join(directory, file), 'utf8')) as Record<string, unknown>;
      const rows = Array.isArray(parsed.rows) ? parsed.rows : [];
      const good = rows.filter(isRow);
      if (typeof parsed.package !== 'string' || good.length === 0) {
        problems.push(`${file}: no "package" or no valid rows`);
        continue;
      }
      if (good.length < rows.length) problems.push(`${file}: ${rows.length - good.length} row(s) without name/unit/ours skipped`);
      results.push({
        package: parsed.package,
        date: typeof parsed.date === 'string' ? parsed.date : '',
        ...(typeof parsed.node === 'string' ? { node: parsed.node } : {}),
        ...(typeof parsed.cpus === 'number' ? { cpus: parsed.cpus } : {}),
        rows: good,
      });
    } catch (error) {
      problems.push(`${file}: ${(error as Error).message}`);
    }
  }
  results.sort((a, b) => a.package.localeCompare(b.package));
  return { results, problems };
}

/** Three significant digits, with thousands separators for big numbers. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function slug(packageName: string): string {
  return packageName.replace(/^@/, '').replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
}

/**
 * One horizontal bar per row: how many times better than its baseline ours is, on a log2 axis centred on
 * 1× (a bar to the right is better than the baseline, to the left worse). Rows without a baseline are listed
 * with their raw value. Pure SVG, no scripts or external fonts, so GitHub renders it inline.
 */
export function renderChart(result: BenchResult): string {
  const width = 920;
  const labelWidth = 440;
  const barArea = width - labelWidth - 150;
  const rowHeight = 28;
  const top = 46;
  const height = top + result.rows.length * rowHeight + 34;
  const factors = result.rows.map(speedup);
  const maxLog = Math.max(1, ...factors.filter((f): f is number => f !== undefined).map((f) => Math.abs(Math.log2(f))));
  const axisLimit = Math.ceil(maxLog);
  const centre = labelWidth + barArea / 2;
  const scale = barArea / 2 / axisLimit;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(`<text x="12" y="20" font-size="14" font-weight="600" fill="#1f2328">${escapeXml(result.package)} — times better than the baseline (log scale; hover a bar for the values)</text>`);
  parts.push(`<text x="12" y="36" fill="#57606a">${escapeXml([result.date.slice(0, 10), result.node, result.cpus ? `${result.cpus} CPUs` : ''].filter(Boolean).join(' · '))}</text>`);
  for (let tick = -axisLimit; tick <= axisLimit; tick++) {
    const x = centre + tick * scale;
    const label = tick >= 0 ? `${2 ** tick}×` : `1/${2 ** -tick}×`;
    parts.push(`<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${height - 28}" stroke="${tick === 0 ? '#57606a' : '#d0d7de'}" stroke-width="${tick === 0 ? 1.5 : 1}"/>`);
    // Every other label on wide axes, so the labels never overlap.
    if (axisLimit <= 3 || tick % 2 === 0) parts.push(`<text x="${x.toFixed(1)}" y="${height - 12}" text-anchor="middle" fill="#57606a">${label}</text>`);
  }
  result.rows.forEach((row, index) => {
    const y = top + index * rowHeight;
    const factor = factors[index];
    const name = row.name.length > 66 ? `${row.name.slice(0, 65)}…` : row.name;
    parts.push(`<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end" fill="#1f2328">${escapeXml(name)}</text>`);
    if (factor === undefined) {
      parts.push(`<text x="${centre + 6}" y="${y + 17}" fill="#57606a">${escapeXml(`${formatNumber(row.ours)} ${row.unit} (no baseline)`)}</text>`);
      return;
    }
    const length = Math.log2(factor) * scale;
    const x = length >= 0 ? centre : centre + length;
    const colour = row.met === false ? '#cf222e' : factor >= 1 ? '#1a7f37' : '#bf8700';
    parts.push(`<rect x="${x.toFixed(1)}" y="${y + 5}" width="${Math.max(1, Math.abs(length)).toFixed(1)}" height="${rowHeight - 10}" rx="2" fill="${colour}"><title>${escapeXml(`${row.name}: ours ${formatNumber(row.ours)} ${row.unit}, ${row.baseline?.name ?? ''} ${formatNumber(row.baseline?.value ?? 0)} ${row.unit}`)}</title></rect>`);
    parts.push(`<text x="${labelWidth + barArea + 8}" y="${y + 17}" fill="#1f2328">${escapeXml(`${formatNumber(factor)}×${row.met === false ? ' (target missed)' : ''}`)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The markdown that goes between the markers: per package a chart and a table. */
export function renderMarkdown(results: BenchResult[], chartPath: (result: BenchResult) => string): string {
  if (results.length === 0) return '_No benchmark results yet: run `pnpm bench`._';
  const lines: string[] = [
    '_Generated by `scripts/readme-bench.ts` from `bench/results/*.json` — do not edit by hand. Each row is measured against the named baseline in the same run._',
    '',
  ];
  for (const result of results) {
    const environment = [result.date.slice(0, 10), result.node, result.cpus ? `${result.cpus} CPUs` : ''].filter(Boolean).join(', ');
    lines.push(`#### ${result.package}${environment ? ` (${environment})` : ''}`, '');
    lines.push(`![${result.package} benchmarks](${chartPath(result)})`, '');
    lines.push('| benchmark | ours | p99 | baseline | vs baseline | target | met |', '| --- | ---: | ---: | --- | ---: | --- | :---: |');
    for (const row of result.rows) {
      const factor = speedup(row);
      lines.push(
        `| ${escapeCell(row.name)} | ${formatNumber(row.ours)} ${escapeCell(row.unit)} | ${row.ours_p99 === undefined ? '' : `${formatNumber(row.ours_p99)}`} | ${
          row.baseline ? `${escapeCell(row.baseline.name)}: ${formatNumber(row.baseline.value)}` : '—'
        } | ${factor === undefined ? '—' : `${formatNumber(factor)}× ${factor >= 1 ? 'better' : 'worse'}`} | ${escapeCell(row.target ?? '')} | ${row.met === undefined ? '' : row.met ? '✅' : '❌'} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

/** Replaces the text between the markers; throws when they are missing or out of order. */
export function replaceBetweenMarkers(readme: string, content: string): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`README has no "${START_MARKER}" … "${END_MARKER}" block; add both markers where the table belongs`);
  }
  return `${readme.slice(0, start + START_MARKER.length)}\n${content}\n${readme.slice(end)}`;
}

export interface GenerateOptions {
  resultsDir: string;
  readmePath: string;
  docsDir: string;
  /** Compare only; report what would change. */
  check?: boolean;
}

/** Returns the files that changed (or would change, with `check`) and any problems with result files. */
export function generate(options: GenerateOptions): { changed: string[]; problems: string[] } {
  const { results, problems } = readResults(options.resultsDir);
  const outputs = new Map<string, string>();
  for (const result of results) outputs.set(join(options.docsDir, `bench-${slug(result.package)}.svg`), renderChart(result));
  const readmeDir = dirname(options.readmePath);
  const markdown = renderMarkdown(results, (result) => relative(readmeDir, join(options.docsDir, `bench-${slug(result.package)}.svg`)).split('\\').join('/'));
  outputs.set(options.readmePath, replaceBetweenMarkers(readFileSync(options.readmePath, 'utf8'), markdown));
  const changed: string[] = [];
  for (const [file, text] of outputs) {
    const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (current === text) continue;
    changed.push(file);
    if (!options.check) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
  }
  return { changed, problems };
}

function argument(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index === -1 ? undefined : argv[index + 1];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const argv = process.argv.slice(2);
  const check = argv.includes('--check');
  try {
    const { changed, problems } = generate({
      resultsDir: resolve(argument(argv, '--results') ?? join(root, 'bench/results')),
      readmePath: resolve(argument(argv, '--readme') ?? join(root, 'README.md')),
      docsDir: resolve(argument(argv, '--docs') ?? join(root, 'docs')),
      check,
    });
    for (const problem of problems) console.warn(`[readme-bench] ${problem}`);
    for (const file of changed) console.log(`[readme-bench] ${check ? 'out of date' : 'wrote'} ${relative(root, file) || basename(file)}`);
    if (changed.length === 0) console.log('[readme-bench] up to date');
    if (check && changed.length > 0) process.exitCode = 1;
  } catch (error) {
    console.error(`[readme-bench] ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
