// Where the Fastify plugin's overhead sits: `node floor.mjs [variants] [rounds] [slices]` (after `pnpm build`).
// Every round starts a fresh server per variant and measures them in interleaved 1 s autocannon slices (-c 100),
// since this VM's speed swings within seconds; it prints per-round throughput ratios to the first variant and
// the main thread's CPU per request (utime + stime from /proc, so Linux only), then their medians.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const variants = (process.argv[2] ?? 'bare,wai,minimal,emptyhook,nohook').split(',');
const rounds = Number(process.argv[3] ?? 10);
const slices = Number(process.argv[4] ?? 4);
const serverFile = fileURLToPath(new URL('server.mjs', import.meta.url));
// IDLE=<seconds> lets the servers sit idle after starting, as production servers do before traffic: about 8 s in,
// V8's memory reducer runs a compacting GC, which can leave `process.nextTick` megamorphic for the rest of the
// process (see "A server that sits idle" in the README).
const idleMs = Number(process.env.IDLE ?? 0) * 1000;
// SERVER_FLAGS="--no-memory-reducer" passes Node/V8 flags to the servers (not to this script).
const serverFlags = (process.env.SERVER_FLAGS ?? '').split(' ').filter(Boolean);

const mainThreadTicks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};
const load = (url, duration) =>
  new Promise((resolve, reject) => autocannon({ url, connections: 100, duration, pipelining: 1 }, (error, result) => (error ? reject(error) : resolve(result))));
const start = (variant) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...serverFlags, serverFile], { env: { ...process.env, WAI_MODE: variant }, stdio: ['ignore', 'pipe', 'inherit'] });
    // A server that dies before printing its port (no `pnpm build` yet, say) must end the run, not hang it.
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code} before listening`)));
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /PORT (\d+)/.exec(output);
      if (match) resolve({ variant, child, url: `http://127.0.0.1:${match[1]}/hello/42`, requests: 0, ticks: 0 });
    });
  });
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const results = new Map(variants.map((variant) => [variant, []]));
for (let round = 0; round < rounds; round++) {
  const servers = [];
  for (const variant of variants) servers.push(await start(variant));
  if (idleMs > 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
  for (const server of servers) await load(server.url, 1.5);
  for (let slice = 0; slice < slices; slice++) {
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(i + slice + round) % servers.length];
      const before = mainThreadTicks(server.child.pid);
      const result = await load(server.url, 1);
      server.ticks += mainThreadTicks(server.child.pid) - before;
      server.requests += result.requests.total;
    }
  }
  // Clock ticks are 10 ms: ticks × 10,000 / requests is µs per request.
  const rows = servers.map((server) => ({ variant: server.variant, ratio: server.requests / servers[0].requests, cpu: (server.ticks * 10_000) / server.requests }));
  console.log(`round ${round}`, rows.map((row) => `${row.variant} ${row.ratio.toFixed(3)} ${row.cpu.toFixed(1)} µs`).join('  '));
  for (const row of rows) results.get(row.variant).push(row);
  for (const server of servers) server.child.kill('SIGTERM');
  await Promise.all(servers.map((server) => new Promise((resolve) => (server.child.exitCode === null ? server.child.once('exit', resolve) : resolve()))));
}
for (const [variant, rows] of results) {
  console.log(`${variant.padEnd(10)} throughput ${median(rows.map((row) => row.ratio)).toFixed(3)}× of ${variants[0]}, main-thread CPU ${median(rows.map((row) => row.cpu)).toFixed(2)} µs/request`);
}
