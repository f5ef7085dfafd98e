import { createConnection, createServer } from 'node:net';
import { Worker } from 'node:worker_threads';

/**
 * A loopback TCP proxy between one process and a server (a fault, not a mock): it relays bytes both ways and can
 * stall (hold every byte, connections stay open) or cut (drop every connection and refuse new ones) on demand.
 * Plain JavaScript so that `startTcpProxyThread` can run the same code in a worker thread. Types: tcp-proxy.d.mts.
 */
export async function startTcpProxy(target, scheme = 'redis') {
  /** @type {'pass' | 'stall' | 'cut'} */
  let mode = 'pass';
  const pairs = new Set();
  const server = createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = createConnection(target);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    if (mode === 'stall') {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    stall() {
      mode = 'stall';
      for (const { client, upstream } of pairs) {
        // Unpiped and paused: nothing is read, so nothing is forwarded until restore().
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    cut() {
      mode = 'cut';
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    restore() {
      const wasStalled = mode === 'stall';
      mode = 'pass';
      if (!wasStalled) return;
      for (const { client, upstream } of pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        upstream.resume();
      }
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The same proxy on its own thread: its relaying is not held up by the calling thread's work (a benchmark's load
 * generator would otherwise slow the link it measures). The controls resolve once the proxy has switched.
 */
export async function startTcpProxyThread(target, scheme = 'redis') {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.module).then(async ({ startTcpProxy }) => {
      const proxy = await startTcpProxy(workerData.target, workerData.scheme);
      parentPort.on('message', async ({ id, command }) => {
        await proxy[command]();
        parentPort.postMessage({ id });
      });
      parentPort.postMessage({ port: proxy.port, url: proxy.url });
    });
    `,
    { eval: true, workerData: { module: import.meta.url, target, scheme } },
  );
  const started = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const pending = new Map();
  let next = 0;
  worker.on('message', ({ id }) => {
    pending.get(id)?.();
    pending.delete(id);
  });
  const send = (command) =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      worker.postMessage({ id, command });
    });
  return {
    port: started.port,
    url: started.url,
    stall: () => send('stall'),
    cut: () => send('cut'),
    restore: () => send('restore'),
    async close() {
      await send('close');
      await worker.terminate();
    },
  };
}
