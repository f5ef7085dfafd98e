/**
 * Rewrites the results tables of the middleware READMEs from bench/results/middleware.json, so the figures there
 * are the ones a run wrote. Each README holds `<!-- results:<framework> -->` … `<!-- /results -->`.
 *
 *   npx tsx packages/middleware-express/bench/render-table.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RESULTS_FILE, type BenchRow } from '@wai/test-services/http-bench';

const document = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as { date: string; node: string; cpus: number; rows: BenchRow[] };
const here = resolve(RESULTS_FILE, '../../../packages');

function table(prefix: string): string {
  const lines = [
    '| row | ours req/s | ours p99 ms | baseline req/s (p99 ms) | ratio (medians) | ratio (paired median) | target | met | server CPU µs/req ours / baseline |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const rows = document.rows.filter((candidate) => candidate.name.startsWith(prefix));
  // The file's own date is its newest run's, which may be the other framework's.
  const measured = rows.map((row) => row.measured_at ?? document.date).sort().at(-1) ?? document.date;
  for (const row of rows) {
    const cpu = row.cpu_us_per_request ? `${row.cpu_us_per_request.ours} / ${row.cpu_us_per_request.baseline}` : '';
    lines.push(
      `| ${row.name} (-c ${row.connections}) | ${row.ours} | ${row.ours_p99} | ${row.baseline.name}: ${row.baseline.value} (${row.baseline.p99 ?? ''}) | ${row.ratio} | ${row.ratio_paired_median} | ${row.target} | ${row.met ? 'yes' : '**no**'} | ${cpu} |`,
    );
  }
  return `Measured ${measured.slice(0, 16).replace('T', ' ')} UTC, Node ${document.node}, ${document.cpus} CPUs.\n\n${lines.join('\n')}`;
}

for (const [framework, prefix, readme] of [
  ['express', 'Express', 'middleware-express/README.md'],
  ['fastify', 'Fastify', 'middleware-fastify/README.md'],
] as const) {
  const file = resolve(here, readme);
  const text = readFileSync(file, 'utf8');
  const start = `<!-- results:${framework} -->`;
  const end = '<!-- /results -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end, from);
  if (from === -1 || to === -1) throw new Error(`${readme}: markers ${start} … ${end} not found`);
  writeFileSync(file, `${text.slice(0, from + start.length)}\n${table(prefix)}\n${text.slice(to)}`);
  console.log(`updated ${readme}`);
}
