/**
 * Lets the harness read a bench server's CPU time over the IPC channel. CPU time per request is what a
 * middleware really costs; unlike throughput it barely moves when other processes load the machine.
 */
export function answerCpuProbes(): void {
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  process.channel?.unref();
}
