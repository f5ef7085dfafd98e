import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, redisUrl, startTcpProxy, uniquePrefix, type TcpProxy } from '@wai/test-services';
import { request, startServer, type ServerProcess } from '../helpers/server-process.js';

/**
 * The consistency suite's fault variant: the writer reaches Redis through a loopback TCP proxy that the test
 * stalls and cuts; the other instance reaches Redis directly. After the writer can reach Redis again, the other
 * instance must serve the new title within the README's bound; a writer cut off for good and stopped (SIGTERM)
 * has its invalidations delivered by the other instance through the shared SQL tier, and exits 0. Reads never
 * wait long on either side.
 */
const BOUND_AFTER_REACHABLE_MS = 1500; // README: circuitBreaker.resetTimeout (1 s) + the replay's round trips
const BOUND_HANDED_OFF_MS = 1500; // README: handoffInterval (500 ms) + the relay's round trips

interface Sample {
  at: number;
  title: string | undefined;
  ms: number;
}

describe('consistency under a stalled and cut Redis link (TCP proxy), writer stopped with SIGTERM', () => {
  const namespace = uniquePrefix('ref-fault').replace(/:$/, '').replace(/:/g, '-');
  const dataDir = mkdtempSync(join(tmpdir(), 'wai-ref-fault-'));
  let proxy: TcpProxy | undefined;
  let writer: ServerProcess | undefined;
  let reader: ServerProcess | undefined;

  afterAll(async () => {
    await Promise.all([writer?.stop(), reader?.stop()]);
    await proxy?.close();
    rmSync(dataDir, { recursive: true, force: true });
    const client = new Redis(redisUrl());
    await deleteKeysWithPrefix(client, `{${namespace}}`);
    client.disconnect();
  });

  it('serves the new value on the other instance within the bound, never stalls a read, and delivers the invalidations of a cut-off writer through SQL after it stops', async () => {
    const direct = new URL(redisUrl());
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 6379) });
    const common = { CACHE_NAMESPACE: namespace, RATE_LIMIT_MAX: '100000000', RATE_LIMIT_WRITE_MAX: '100000000' };
    writer = await startServer({ dataDir, env: { ...common, REDIS_URL: proxy.url } });
    reader = await startServer({ dataDir, env: { ...common, REDIS_URL: redisUrl() } });
    const id = 5;
    const item = `/api/workshops/${id}`;

    const samples = new Map<ServerProcess, Sample[]>([
      [writer, []],
      [reader, []],
    ]);
    let reading = true;
    const readLoop = async (server: ServerProcess) => {
      while (reading && server.child.exitCode === null) {
        const started = performance.now();
        try {
          const response = await request(`${server.url}${item}`);
          samples.get(server)!.push({ at: started, title: response.body?.title, ms: performance.now() - started });
        } catch {
          // the writer is shutting down
        }
      }
    };
    const readers = [...Array.from({ length: 4 }, () => readLoop(reader!)), ...Array.from({ length: 2 }, () => readLoop(writer!))];
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const put = async (title: string) => {
      const response = await request(`${writer!.url}${item}`, { method: 'PUT', body: { title } });
      expect(response.status).toBe(200);
      return performance.now();
    };
    /** Ms after `from` until the reader's reads began showing `title` for good (Infinity if they never did). */
    const settledAfter = (title: string, from: number) => {
      const after = samples.get(reader!)!.filter((sample) => sample.at >= from);
      let last = -1;
      after.forEach((sample, index) => {
        if (sample.title !== title) last = index;
      });
      if (last === after.length - 1) return Infinity;
      return last === -1 ? 0 : after[last + 1]!.at - from;
    };

    await pause(300);
    await put('fault-1');
    await pause(300);

    // Stalled link: the writer's commands get no answer; its PUT returns with the invalidation queued.
    proxy.stall();
    await pause(200);
    const stalledWriteStarted = performance.now();
    const stalledWriteReturned = await put('fault-2');
    await pause(1500);
    proxy.restore();
    const restoredAt = performance.now();
    await pause(2500);
    const afterStall = settledAfter('fault-2', Math.max(stalledWriteReturned, restoredAt));

    // Cut link, then SIGTERM, and the link never comes back while the writer lives: its invalidations reach the
    // other instance only through the SQL tier they share (handed off before the PUT returned, and again by the
    // writer's close()), which the other instance relays into Redis and onto the bus.
    proxy.cut();
    await pause(300);
    const cutWriteStarted = performance.now();
    const cutWriteReturned = await put('fault-3');
    const exitCode = await writer.stop();
    const exitedAt = performance.now();
    await pause(2000);
    reading = false;
    await Promise.all(readers);
    proxy.restore();
    const afterCut = settledAfter('fault-3', cutWriteReturned);
    const staleAfterExit = samples.get(reader)!.filter((sample) => sample.at >= exitedAt && sample.title !== 'fault-3');

    const allReads = [...samples.values()].flat();
    const slowest = Math.max(...allReads.map((sample) => sample.ms));
    const slowestOnReader = Math.max(...samples.get(reader)!.map((sample) => sample.ms));
    console.log(
      `[consistency-fault] ${allReads.length} reads; reader settled ${afterStall.toFixed(0)} ms after the stalled link came back and ${afterCut.toFixed(0)} ms after the PUT returned on a link that never came back (writer exit ${exitCode}; ${staleAfterExit.length} stale reads after it exited); PUT took ${(stalledWriteReturned - stalledWriteStarted).toFixed(0)} ms stalled, ${(cutWriteReturned - cutWriteStarted).toFixed(0)} ms cut; slowest read ${slowest.toFixed(1)} ms (on the reader ${slowestOnReader.toFixed(1)} ms)`,
    );
    expect(exitCode).toBe(0);
    expect(afterStall).toBeLessThanOrEqual(BOUND_AFTER_REACHABLE_MS);
    expect(afterCut).toBeLessThanOrEqual(BOUND_HANDED_OFF_MS);
    expect(staleAfterExit).toEqual([]);
    // The reader's own Redis link is healthy: none of its reads waits out a lease (5 s) or a lock held by the
    // stalled writer. (The bound leaves room for a loaded 2-core machine; the figure is printed above.)
    expect(slowestOnReader).toBeLessThan(1000);
  }, 60_000);
});
