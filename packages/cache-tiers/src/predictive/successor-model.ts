import { ConfigError } from '@wai/metrics-core';

/**
 * A bounded first-order successor model of a key stream: for each key, the `successorsPerKey` keys most often
 * seen right after it, with counts. Per key it keeps a Space-Saving summary (Metwally et al., ICDT 2005: a new
 * successor replaces the least counted one and inherits its count), keys themselves are bounded by LRU
 * (`maxKeys`), and every `agingPeriod` observations all counts are halved so the model follows changing
 * navigation. Memory: O(maxKeys × successorsPerKey).
 */
export interface SuccessorModel {
  /** Records that `next` was requested right after `previous`. */
  observe(previous: string, next: string): void;
  /** Likely next keys after `key`, most likely first; `probability` = count / all successors' counts. */
  predict(key: string, limit?: number): Array<{ key: string; count: number; probability: number }>;
  /** Halves every count and drops successors (and keys) left at zero: old navigation fades, memory shrinks. */
  age(): void;
  readonly size: number;
  clear(): void;
}

export interface SuccessorModelOptions {
  /** Keys whose successors are remembered. @default 10000 */
  maxKeys?: number;
  /** Successors kept per key. @default 4 */
  successorsPerKey?: number;
  /** Observations between two halvings of every count. @default 100000 */
  agingPeriod?: number;
}

interface Successor {
  key: string;
  count: number;
}

export function createSuccessorModel(options: SuccessorModelOptions = {}): SuccessorModel {
  const maxKeys = options.maxKeys ?? 10_000;
  const successorsPerKey = options.successorsPerKey ?? 4;
  const agingPeriod = options.agingPeriod ?? 100_000;
  for (const [name, value] of Object.entries({ maxKeys, successorsPerKey, agingPeriod })) {
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`[wai:cache-tiers] successor model \`${name}\` must be an integer >= 1, got ${String(value)}`);
  }
  const model = new Map<string, Successor[]>();
  let observations = 0;

  const age = (): void => {
    for (const [key, successors] of model) {
      const kept = successors.filter((successor) => (successor.count = Math.floor(successor.count / 2)) > 0);
      if (kept.length === 0) model.delete(key);
      else model.set(key, kept);
    }
  };

  return {
    observe(previous, next) {
      if (previous === next) return;
      let successors = model.get(previous);
      if (successors === undefined) {
        successors = [];
        if (model.size >= maxKeys) model.delete(model.keys().next().value as string);
      } else {
        model.delete(previous); // re-inserted: Map order = least recently observed first
      }
      model.set(previous, successors);
      const known = successors.find((successor) => successor.key === next);
      if (known !== undefined) known.count++;
      else if (successors.length < successorsPerKey) successors.push({ key: next, count: 1 });
      else {
        let least = successors[0] as Successor;
        for (const successor of successors) if (successor.count < least.count) least = successor;
        least.key = next;
        least.count++;
      }
      if (++observations >= agingPeriod) {
        observations = 0;
        age();
      }
    },
    predict(key, limit = successorsPerKey) {
      const successors = model.get(key);
      if (successors === undefined) return [];
      let total = 0;
      for (const successor of successors) total += successor.count;
      return [...successors]
        .sort((a, b) => b.count - a.count)
        .slice(0, limit)
        .map((successor) => ({ key: successor.key, count: successor.count, probability: total === 0 ? 0 : successor.count / total }));
    },
    age,
    get size() {
      return model.size;
    },
    clear() {
      model.clear();
      observations = 0;
    },
  };
}
