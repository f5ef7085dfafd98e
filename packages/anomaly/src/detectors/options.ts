import { ConfigError, ValidationError } from '@wai/metrics-core';

/** Validates a numeric option and returns it or its default; a bad value is a `ConfigError` naming it. */
export function numberOption(
  detector: string,
  name: string,
  value: number | undefined,
  fallback: number,
  { min = -Infinity, max = Infinity, integer = false, exclusiveMin = false }: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const valid =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (exclusiveMin ? value > min : value >= min) &&
    value <= max &&
    (!integer || Number.isInteger(value));
  if (!valid) {
    const range = `${exclusiveMin ? '>' : '≥'} ${min}${max === Infinity ? '' : ` and ≤ ${max}`}`;
    throw new ConfigError(
      `[wai:anomaly] ${detector}: option \`${name}\` must be ${integer ? 'an integer' : 'a finite number'} ${range}; got ${String(value)}.`,
      { details: { option: name, value: String(value) } },
    );
  }
  return value;
}

/** Rejects a point that is not a finite number or has a non-finite timestamp. */
export function checkPoint(detector: string, value: number, timestamp: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError('E_INVALID_ARGUMENT', `[wai:anomaly] ${detector}.update: value must be a finite number; got ${String(value)}.`);
  }
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    throw new ValidationError(
      'E_INVALID_ARGUMENT',
      `[wai:anomaly] ${detector}.update: timestamp must be a finite number (epoch milliseconds); got ${String(timestamp)}.`,
    );
  }
}
