import { mulberry32 as seededRandom } from '@wai/test-services/bench';

export { seededRandom };

/** Log-normal samples (Box–Muller): latencies are roughly log-normal. Median e^mu ms. */
export function logNormalSamples(count: number, mu: number, sigma: number, seed = 42): Float64Array {
  const random = seededRandom(seed);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const u = Math.max(random(), Number.EPSILON);
    const v = random();
    values[i] = Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return values;
}

/** The exact lower quantile the sketch estimates: the sorted value at rank ⌊q·(n−1)⌋. */
export function exactQuantile(sorted: Float64Array, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}
