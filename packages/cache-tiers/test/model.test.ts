import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { redisUrl } from '@wai/test-services';
import { createCache } from '../src/cache.js';
import { testNamespaces } from './helpers.js';

const directory = mkdtempSync(join(tmpdir(), 'wai-cache-model-'));
const namespaces = testNamespaces('model');
afterAll(async () => {
  await namespaces.cleanup();
  rmSync(directory, { recursive: true, force: true });
});

const key = fc.constantFrom('a', 'b', 'c', 'd:1', 'd:2');
const tag = fc.constantFrom('t1', 't2', 't3');
const operation = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key, value: fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer(), { maxLength: 3 })), tags: fc.uniqueArray(tag, { maxLength: 2 }) }),
  fc.record({ op: fc.constant('get' as const), key, on: fc.constantFrom('a' as const, 'b' as const) }),
  fc.record({ op: fc.constant('delete' as const), key }),
  fc.record({ op: fc.constant('tag' as const), tag }),
  fc.record({ op: fc.constant('getOrSet' as const), key, value: fc.integer() }),
);

describe('model-based: the composed cache behaves like a Map with tags', () => {
  it('random operation sequences on L1+L2+L3 (instance A) and L2-only (instance B) agree with the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
        const namespace = namespaces.next();
        const a = createCache({ namespace, l2: { redis: redisUrl() }, l3: { driver: 'sqlite', path: join(directory, 'model.db') } });
        const b = createCache({ namespace, l1: false, l2: { redis: redisUrl() } });
        const model = new Map<string, { value: unknown; tags: readonly string[] }>();
        try {
          for (const step of operations) {
            switch (step.op) {
              case 'set':
                await a.set(step.key, step.value, { ttl: 60, tags: step.tags });
                model.set(step.key, { value: step.value, tags: step.tags });
                break;
              case 'get':
                expect(await (step.on === 'a' ? a : b).get(step.key)).toEqual(model.get(step.key)?.value);
                break;
              case 'delete':
                expect(await a.delete(step.key)).toBe(model.has(step.key));
                model.delete(step.key);
                break;
              case 'tag':
                await a.invalidateByTag(step.tag);
                for (const [name, entry] of model) if (entry.tags.includes(step.tag)) model.delete(name);
                break;
              case 'getOrSet': {
                const expected = model.get(step.key)?.value ?? step.value;
                expect(await a.getOrSet(step.key, () => step.value, { ttl: 60 })).toEqual(expected);
                if (!model.has(step.key)) model.set(step.key, { value: step.value, tags: [] });
                break;
              }
            }
          }
        } finally {
          await a.clear();
          await Promise.all([a.close(), b.close()]);
        }
      }),
      { numRuns: 40 },
    );
  });
});
