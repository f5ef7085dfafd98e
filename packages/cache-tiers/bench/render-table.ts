/** Prints the README's results table from bench/results/cache-tiers.json at the repository root (`npx tsx bench/render-table.ts`). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow as Row } from '@wai/test-services/bench';

const file = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/results/cache-tiers.json');
const report = JSON.parse(readFileSync(file, 'utf8')) as { date: string; node: string; cpus: number; rows: Row[] };
const format = (value: number) => (Number.isInteger(value) ? value.toLocaleString('en') : value.toLocaleString('en', { maximumFractionDigits: 2 }));
console.log(`Measured ${report.date.slice(0, 16).replace('T', ' ')} UTC, Node ${report.node}, ${report.cpus} CPUs (a shared VM whose speed drifts between runs: compare within a row).\n`);
console.log('| # | row | unit | ours (p99) | baseline | competitors, same run | target | met |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
report.rows.forEach((row, index) => {
  const p99 = row.ours_p99 === undefined ? '' : ` (p99 ${format(row.ours_p99)}${row.p99_unit ? ` ${row.p99_unit}` : ''})`;
  const competitors = (row.competitors ?? []).map((competitor) => `${competitor.name}: ${format(competitor.value)}`).join('; ');
  console.log(`| ${index + 1} | ${row.name} | ${row.unit} | ${format(row.ours)}${p99} | ${row.baseline.name}: ${format(row.baseline.value)} | ${competitors} | ${row.target} | ${row.met ? 'yes' : '**no**'} |`);
});
