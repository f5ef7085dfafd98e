import { mulberry32 } from '@wai/test-services';

/** Deterministic synthetic series for the detector tests (mulberry32 PRNG + Box–Muller Gaussian noise). */
export function createRandom(seed: number): { uniform: () => number; gaussian: () => number } {
  const uniform = mulberry32(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, gaussian };
}

export const FIVE_MINUTES = 300_000;
export const START = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC

/** `length` points every 5 minutes of `level(i) + noise·N(0,1)`. */
export function series(length: number, level: (index: number) => number, noise: number, seed = 1): Array<{ value: number; timestamp: number }> {
  const random = createRandom(seed);
  return Array.from({ length }, (_, index) => ({ value: level(index) + noise * random.gaussian(), timestamp: START + index * FIVE_MINUTES }));
}

/** A daily sinusoid (period 288 points of 5 minutes) around 100 with amplitude 40. */
export const daily = (index: number): number => 100 + 40 * Math.sin((2 * Math.PI * index) / 288);
