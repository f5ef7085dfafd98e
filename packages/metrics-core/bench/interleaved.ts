// Shared by the benchmark files of this package.

/**
 * Runs the tasks in alternating rounds (ours, theirs, ours, …) after a warm-up, so both see the same machine
 * load, and reports each task's median and p99 time per call over the rounds.
 */
export function interleaved(tasks: Record<string, (calls: number) => void>, calls: number, rounds: number): Record<string, { median: number; p99: number }> {
  const samples: Record<string, number[]> = {};
  for (const [name, run] of Object.entries(tasks)) {
    samples[name] = [];
    for (let warm = 0; warm < 5; warm++) run(calls);
  }
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(tasks)) {
      const start = process.hrtime.bigint();
      run(calls);
      samples[name]!.push(Number(process.hrtime.bigint() - start) / calls);
    }
  }
  const result: Record<string, { median: number; p99: number }> = {};
  for (const [name, values] of Object.entries(samples)) {
    values.sort((x, y) => x - y);
    result[name] = { median: values[Math.floor(values.length / 2)]!, p99: values[Math.min(values.length - 1, Math.floor(values.length * 0.99))]! };
  }
  return result;
}

