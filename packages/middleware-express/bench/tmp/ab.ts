import { fileURLToPath } from 'node:url';
import { runScenario } from '../harness.js';
const variants = (process.env.VARIANTS ?? 'bare,wai').split(',');
const result = await runScenario({ server: fileURLToPath(new URL(process.env.SERVER ?? '../servers.ts', import.meta.url)), variants, path: process.env.URLPATH ?? '/hello/42', connections: Number(process.env.CONN ?? 100), durationSeconds: Number(process.env.DUR ?? 4), rounds: Number(process.env.ROUNDS ?? 3), warmupSeconds: 2 });
for (const [v, m] of result) console.log(v, m.requestsPerSecond, m.cpuMicrosPerRequest);
