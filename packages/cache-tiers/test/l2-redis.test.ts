import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix, redisUrl } from '@wai/test-services';
import { createRedisTier } from '../src/l2/index.js';

const admin = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
const namespace = `l2-${process.pid}-${Date.now()}`;
afterAll(async () => {
  await deleteKeysWithPrefix(admin, `{${namespace}}:`);
  admin.disconnect();
});

const entry = (value: unknown, tags: string[] = []) => ({ value, createdAt: Date.now(), expiresAt: Date.now() + 60_000, staleUntil: Date.now() + 120_000, tags });

describe('L2 Redis tier', () => {
  it('lists its entry keys by prefix, glob characters matched literally, nothing of other namespaces or tags', async () => {
    const tier = createRedisTier({ redis: redisUrl(), namespace: `${namespace}-keys` });
    const other = createRedisTier({ redis: redisUrl(), namespace: `${namespace}-keys-other` });
    for (const key of ['a*1', 'a?2', 'a[3]', 'ab', 'b']) await tier.set(key, entry(key, ['t']));
    await other.set('a*1', entry('elsewhere'));
    const listed = async (prefix?: string) => {
      const keys: string[] = [];
      for await (const key of tier.entryKeys(prefix)) keys.push(key);
      return keys.sort();
    };
    expect(await listed()).toEqual(['a*1', 'a?2', 'a[3]', 'ab', 'b']);
    expect(await listed('a')).toEqual(['a*1', 'a?2', 'a[3]', 'ab']);
    expect(await listed('a*')).toEqual(['a*1']);
    expect(await listed('a[')).toEqual(['a[3]']);
    await deleteKeysWithPrefix(admin, `{${namespace}-keys}:`);
    await deleteKeysWithPrefix(admin, `{${namespace}-keys-other}:`);
    await Promise.all([tier.close(), other.close()]);
  });

  it('stores under the namespace hash tag with a TTL at staleUntil, compressed above the threshold', async () => {
    const tier = createRedisTier({ redis: redisUrl(), namespace, compressionThreshold: 300 });
    await tier.set('small', entry('x'));
    await tier.set('large', entry('y'.repeat(10_000)));
    const small = await admin.hgetBuffer(`{${namespace}}:e:small`, 'v');
    const large = await admin.hgetBuffer(`{${namespace}}:e:large`, 'v');
    expect(small?.[0]).toBe(0);
    expect(large?.[0]).toBe(1);
    expect(large!.length).toBeLessThan(500);
    const ttl = await admin.pttl(`{${namespace}}:e:small`);
    expect(ttl).toBeGreaterThan(110_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
    expect((await tier.get('large'))?.value).toBe('y'.repeat(10_000));
    await tier.close();
  });

  it('sends the reads issued in one tick in socket writes of 16 commands (corked until the next tick)', async () => {
    const tier = createRedisTier({ redis: redisUrl(), namespace });
    await tier.get('warm-up');
    const client = tier.client as Redis;
    expect(client.options.enableAutoPipelining).toBe(false);
    expect(client.options.commandTimeout).toBe(500);
    await Promise.all(Array.from({ length: 50 }, (_, index) => tier.set(`p${index}`, entry(index))));
    const stream = client.stream as typeof client.stream & {
      _writev(chunks: Array<{ chunk: unknown }>, callback: () => void): void;
      _write(chunk: unknown, encoding: string, callback: () => void): void;
    };
    // Commands per socket write: what each writev / write call carries.
    const writes: number[] = [];
    const commands = (chunks: unknown[]) => chunks.map((chunk) => String(chunk)).join('').split('hmget').length - 1;
    const writev = stream._writev;
    const write = stream._write;
    stream._writev = function (this: unknown, chunks, callback) {
      writes.push(commands(chunks.map((entry) => entry.chunk)));
      return writev.call(this, chunks, callback);
    };
    stream._write = function (this: unknown, chunk, encoding, callback) {
      writes.push(commands([chunk]));
      return write.call(this, chunk, encoding, callback);
    };
    const reads = Promise.all(Array.from({ length: 50 }, (_, index) => tier.get(`p${index}`)));
    // Three full batches left while the reads were issued; the last two wait in the corked stream.
    expect(writes).toEqual([16, 16, 16]);
    expect(stream.writableCorked).toBe(1);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(stream.writableCorked).toBe(0);
    expect(writes).toEqual([16, 16, 16, 2]);
    expect((await reads).map((read) => read?.value)).toEqual(Array.from({ length: 50 }, (_, index) => index));
    stream._writev = writev;
    stream._write = write;
    await tier.close();
  });

  it('uses ioredis auto-pipelining instead when asked, and no client timer with commandTimeout: false', async () => {
    const tier = createRedisTier({ redis: redisUrl(), namespace, enableAutoPipelining: true, commandTimeout: false });
    await tier.get('warm-up');
    const client = tier.client as Redis;
    expect(client.options.commandTimeout).toBeUndefined();
    await Promise.all(Array.from({ length: 20 }, (_, index) => tier.set(`q${index}`, entry(index))));
    const reads = Promise.all(Array.from({ length: 20 }, (_, index) => tier.get(`q${index}`)));
    expect(client.autoPipelineQueueSize).toBeGreaterThan(0);
    expect(client.stream.writableCorked).toBe(0);
    expect((await reads).map((read) => read?.value)).toEqual(Array.from({ length: 20 }, (_, index) => index));
    await tier.close();
  });

  it('leases are exclusive and released only by their owner', async () => {
    const tier = createRedisTier({ redis: redisUrl(), namespace });
    expect(await tier.acquireLease('job', 'a', 1000)).toBe(true);
    expect(await tier.acquireLease('job', 'b', 1000)).toBe(false);
    await tier.releaseLease('job', 'b');
    expect(await tier.acquireLease('job', 'b', 1000)).toBe(false);
    await tier.releaseLease('job', 'a');
    expect(await tier.acquireLease('job', 'b', 1000)).toBe(true);
    await tier.close();
  });

  it('a tagged entry is refused once one of its tags has a later version; a rewrite after it is served', async () => {
    const tier = createRedisTier({ redis: redisUrl(), namespace });
    await tier.set('tagged', entry('old', ['t1', 't2']));
    await tier.set('untagged', entry('plain'));
    expect((await tier.get('tagged'))?.value).toBe('old');
    await tier.invalidateTag('t2');
    expect(await tier.get('tagged')).toBeUndefined();
    expect((await tier.get('untagged'))?.value).toBe('plain');
    await tier.set('tagged', entry('new', ['t2']));
    expect((await tier.get('tagged'))?.value).toBe('new');
    await tier.close();
  });

  it('fills are refused after a write, a delete, a tag invalidation or a clear that came after their version', async () => {
    const tier = createRedisTier({ redis: redisUrl(), namespace });
    const before = await tier.version();
    await tier.set('k', entry('written'));
    expect(await tier.fill('k', entry('late'), before)).toBe(false);
    expect((await tier.get('k'))?.value).toBe('written');
    const afterSet = await tier.version();
    expect(afterSet).toBeGreaterThan(before);
    expect(await tier.fill('k', entry('fresh'), afterSet)).toBe(true);
    expect((await tier.get('k'))?.value).toBe('fresh');
    // An older fill never replaces a newer one.
    expect(await tier.fill('k', entry('older'), before)).toBe(false);

    const beforeDelete = await tier.version();
    expect(await tier.delete('k')).toBe(true);
    expect(await tier.delete('k')).toBe(false);
    expect(await tier.fill('k', entry('late'), beforeDelete)).toBe(false);
    expect(await tier.get('k')).toBeUndefined();

    const beforeTag = await tier.version();
    await tier.invalidateTag('t');
    expect(await tier.fill('tagged', entry('late', ['t']), beforeTag)).toBe(false);
    expect(await tier.fill('untagged', entry('ok', ['u']), beforeTag)).toBe(true);

    const beforeClear = await tier.version();
    await tier.clear();
    expect(await tier.fill('other', entry('late'), beforeClear)).toBe(false);
    // The clock survives clear: versions keep growing.
    expect(await tier.version()).toBeGreaterThan(beforeClear);
    await tier.close();
  });

  it('sends scripts as EVALSHA and reloads them after SCRIPT FLUSH (NOSCRIPT)', async () => {
    const tier = createRedisTier({ redis: redisUrl(), namespace });
    await tier.set('s1', entry(1, ['a']));
    await admin.script('FLUSH');
    await tier.set('s2', entry(2, ['a']));
    await tier.invalidateTag('never-used');
    expect((await tier.get('s2'))?.value).toBe(2);
    expect(await tier.deleteByTag('a')).toBe(2);
    await tier.close();
  });

  it('refuses namespaces that would break the key layout', () => {
    expect(() => createRedisTier({ redis: redisUrl(), namespace: 'a}b' })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => createRedisTier({ redis: redisUrl(), namespace: '' })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
  });
});
