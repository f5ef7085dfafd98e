import { EventEmitter, once } from 'node:events';
import { createServer, IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipelinedGets, responseCount } from '@wai/test-services';
import { afterEach, describe, expect, it } from 'vitest';
import { subscribeResponseFinish, watchRequest, watchResponse, type WatchedRequest } from './connection-watch.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface Outcome {
  path: string;
  event: string;
}

/** A server that watches every request and answers `/late/<ms>` after that many milliseconds. */
async function watchingServer(outcomes: Outcome[], options: { unwatched?: boolean } = {}): Promise<number> {
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? '';
    if (!options.unwatched) {
      const entry: WatchedRequest = {
        raw: request,
        responseFinished: (statusCode) => outcomes.push({ path, event: `finished ${statusCode}` }),
        connectionClosed: () => outcomes.push({ path, event: 'closed' }),
      };
      expect(watchRequest(request, entry)).toBe(true);
    }
    const ms = Number(/^\/late\/(\d+)/.exec(path)?.[1] ?? 0);
    setTimeout(() => {
      response.statusCode = path.includes('missing') ? 404 : 200;
      response.end('done');
    }, ms);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)), () => server.closeAllConnections());
  return (server.address() as AddressInfo).port;
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in 2 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('connection watch', () => {
  it('reports each finished response with its status, on keep-alive and pipelined connections', async () => {
    cleanups.push(subscribeResponseFinish());
    const outcomes: Outcome[] = [];
    const port = await watchingServer(outcomes);
    await pipelinedGets(port, ['/late/60', '/late/5/missing', '/late/0'], (received) => responseCount(received) === 3);
    await until(() => outcomes.length === 3);
    expect(outcomes).toEqual([
      { path: '/late/60', event: 'finished 200' },
      { path: '/late/5/missing', event: 'finished 404' },
      { path: '/late/0', event: 'finished 200' },
    ]);
    // Closing the connection afterwards aborts nothing.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(outcomes).toHaveLength(3);
  });

  it('reports the requests still in flight when their connection closes, once each', async () => {
    cleanups.push(subscribeResponseFinish());
    const outcomes: Outcome[] = [];
    const port = await watchingServer(outcomes);
    await pipelinedGets(port, ['/late/0', '/late/400', '/late/500'], (received) => responseCount(received) === 1);
    await until(() => outcomes.length === 3);
    expect(outcomes).toEqual([
      { path: '/late/0', event: 'finished 200' },
      { path: '/late/400', event: 'closed' },
      { path: '/late/500', event: 'closed' },
    ]);
  });

  it('declines what is not a Node HTTP/1 request, so the caller can listen on the response instead', () => {
    const entry: WatchedRequest = { raw: {}, responseFinished: () => undefined, connectionClosed: () => undefined };
    expect(watchRequest({ url: '/', socket: {} }, entry)).toBe(false);
    expect(watchRequest(undefined, entry)).toBe(false);
  });

  it('falls back to the response\'s own events: finish then close reports once, close alone is an abort', () => {
    const events: string[] = [];
    const entry = (name: string): WatchedRequest => ({ raw: {}, responseFinished: (status) => events.push(`${name} finished ${status}`), connectionClosed: () => events.push(`${name} closed`) });
    const done = Object.assign(new EventEmitter(), { statusCode: 201 });
    watchResponse(done, entry('done'));
    done.emit('finish');
    done.emit('close');
    const gone = Object.assign(new EventEmitter(), { statusCode: 200 });
    watchResponse(gone, entry('gone'));
    gone.emit('close');
    expect(events).toEqual(['done finished 201', 'gone closed']);
  });

  it('stops reporting when the last subscription is released, and releasing twice is harmless', async () => {
    const release = subscribeResponseFinish();
    const other = subscribeResponseFinish();
    const outcomes: Outcome[] = [];
    const port = await watchingServer(outcomes);
    release();
    release();
    await pipelinedGets(port, ['/late/0'], (received) => responseCount(received) === 1);
    await until(() => outcomes.length === 1);
    other();
    await pipelinedGets(port, ['/late/0'], (received) => responseCount(received) === 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Unsubscribed: the second request's finish is not seen, and its connection closing reports it as closed.
    expect(outcomes.map((outcome) => outcome.event)).toEqual(['finished 200', 'closed']);
  });

  it('leaves requests it does not watch alone', async () => {
    cleanups.push(subscribeResponseFinish());
    const port = await watchingServer([], { unwatched: true });
    expect(responseCount(await pipelinedGets(port, ['/late/0', '/late/0'], (received) => responseCount(received) === 2))).toBe(2);
  });
});
