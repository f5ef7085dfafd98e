// What a bench server (`bench/servers.ts` of an adapter) uses; bundled into each server by the harness in
// `./http-bench.ts`, so keep it free of heavy imports.

/**
 * Lets the harness read a bench server's CPU time over the IPC channel (call it first in a bench server). CPU
 * time per request is what a middleware really costs; unlike throughput it barely moves when other processes
 * load the machine.
 */
export function answerCpuProbes(): void {
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  process.channel?.unref();
}

/** A JSON document of about 1 KB (1,001 bytes serialised): the body of the cached-HIT rows. */
export const ONE_KB_DOCUMENT = {
  id: 'workshop-42',
  title: 'Caching HTTP responses by the rules of RFC 9111',
  tags: ['http', 'caching', 'performance', 'node'],
  sessions: Array.from({ length: 8 }, (_, index) => ({ id: index + 1, room: `R${100 + index}`, starts: `2026-12-07T${String(9 + index).padStart(2, '0')}:00:00Z`, seats: 40 - index * 3, speaker: `Speaker number ${index + 1}` })),
  summary: 'A constant document for benchmarks: what a read endpoint of a small API typically returns.',
};
