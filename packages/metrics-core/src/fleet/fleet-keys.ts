import { ConfigError } from '../errors.js';

/**
 * Redis keys of a fleet. Every key carries the namespace as a hash tag (`{namespace}`), like the cache's keys,
 * so that on Redis Cluster they share one slot and the reader's MGET of all instances is one command.
 */
export interface FleetKeys {
  /** Sorted set: instance id → epoch ms its latest value expires. */
  index: string;
  /** The value of one instance (a string with a TTL). */
  instance(id: string): string;
}

export function fleetKeys(namespace: string): FleetKeys {
  if (typeof namespace !== 'string' || !/^[^{}\s]{1,64}$/.test(namespace)) {
    throw new ConfigError(`[wai:metrics-core] fleet option namespace must be 1–64 characters without braces or spaces, got "${String(namespace)}"`);
  }
  const prefix = `{${namespace}}:fleet:`;
  return { index: `${prefix}instances`, instance: (id) => `${prefix}instance:${id}` };
}

export function positiveOption(name: string, value: number | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`[wai:metrics-core] fleet option ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}
