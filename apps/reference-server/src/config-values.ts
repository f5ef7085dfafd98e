import { ConfigError } from '@wai/metrics-core';

/** Environment variables as `process.env` holds them. */
export type Env = Record<string, string | undefined>;

/** An integer variable in `[min, max]`, `fallback` when unset or empty; anything else is a `ConfigError`. */
export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`[wai:reference-server] ${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`[wai:reference-server] ${name} must be true or false, got "${env[name]}"`);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 };

/** Bytes as `1048576` or `1mb` (k/kb, m/mb, g/gb: powers of 1024), in `[min, max]`. */
export function bytes(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(raw);
  const unit = match ? SIZE_UNITS[match[2] ?? ''] : undefined;
  const value = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new ConfigError(`[wai:reference-server] ${name} must be ${min}–${max} bytes (e.g. 67108864 or 64mb), got "${env[name]}"`);
  }
  return value;
}

/** A comma-separated list of http(s) origins (`https://ops.example.com`). */
export function origins(env: Env, name: string): string[] {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return [];
  const list = raw.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
  for (const origin of list) {
    if (!/^https?:\/\/[^/\s]+\/?$/i.test(origin)) {
      throw new ConfigError(`[wai:reference-server] ${name} must be comma-separated origins such as https://ops.example.com, got "${origin}"`);
    }
  }
  return list;
}
