import { Redis } from 'ioredis';
import { deleteKeysWithPrefix, redisUrl, uniquePrefix } from '@wai/test-services';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Unique cache namespaces for one test file, whose Redis keys `cleanup()` deletes (SCAN, never KEYS). */
export function testNamespaces(name: string): { next(): string; cleanup(): Promise<void> } {
  const used: string[] = [];
  return {
    next() {
      const namespace = uniquePrefix(name).replace(/:$/, '').replace(/:/g, '-');
      used.push(namespace);
      return namespace;
    },
    async cleanup() {
      const admin = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
      for (const namespace of used) await deleteKeysWithPrefix(admin, `{${namespace}}:`);
      admin.disconnect();
    },
  };
}

/** Polls until `check` holds; the ms it took, or Infinity after `limit` ms. */
export async function within(limit: number, check: () => boolean): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limit) {
    if (check()) return Date.now() - started;
    await sleep(2);
  }
  return check() ? Date.now() - started : Infinity;
}
