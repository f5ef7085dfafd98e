import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { EventEmitter } from 'node:events';
import { IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What an adapter tracks per request, so that the end of its response and the loss of its connection reach it. */
export interface WatchedRequest {
  /** Node's request (`IncomingMessage`) this entry stands for. */
  readonly raw: object;
  /** The response finished with `statusCode`. Runs inside a diagnostics channel publish: it must not throw. */
  responseFinished(statusCode: number): void;
  /** The connection closed (or was already closed) before the response finished. */
  connectionClosed(): void;
}

/**
 * Requests in flight per HTTP/1 connection live on the socket (written once per connection): one `close`
 * listener per connection sees every abort, where a listener per request costs a closure and two listener
 * changes each time. Keep-alive connections carry one request at a time, which fits one slot; pipelined
 * requests in flight together overflow into a list. `null` marks a watched connection with nothing in flight.
 *
 * The end of each response comes from Node's `http.server.response.finish` diagnostics channel, which the
 * server publishes with the request's socket: subscribing to it costs less per request than the per-response
 * listeners an `onResponse` hook makes Fastify add (the middleware benchmarks' timing rows measure the result).
 */
const CURRENT = Symbol.for('@wai/metrics-core.inFlight');
const MORE = Symbol.for('@wai/metrics-core.pipelined');
type WatchedSocket = Socket & { [CURRENT]?: WatchedRequest | null; [MORE]?: WatchedRequest[] | undefined };

const FINISH_CHANNEL = 'http.server.response.finish';
let subscribers = 0;

function closeAll(this: WatchedSocket): void {
  const current = this[CURRENT];
  const more = this[MORE];
  this[CURRENT] = null;
  this[MORE] = undefined;
  if (current) current.connectionClosed();
  if (more) for (const entry of more) entry.connectionClosed();
}

/** Takes the entry of `request` off its connection; undefined for requests nobody watches. */
function take(socket: WatchedSocket, request: object): WatchedRequest | undefined {
  const current = socket[CURRENT];
  if (current != null && current.raw === request) {
    socket[CURRENT] = null;
    return current;
  }
  const more = socket[MORE];
  if (more === undefined) return undefined;
  const index = more.findIndex((entry) => entry.raw === request);
  if (index === -1) return undefined;
  const entry = more[index];
  more.splice(index, 1);
  if (more.length === 0) socket[MORE] = undefined;
  return entry;
}

function onResponseFinish(message: unknown): void {
  const { request, response, socket } = message as { request: object; response: ServerResponse; socket: WatchedSocket | null };
  if (!socket) return;
  take(socket, request)?.responseFinished(response.statusCode);
}

/**
 * Starts listening for finished responses (reference-counted across callers in the process); call the returned
 * function once to stop. `watchRequest` entries are reported only while at least one subscription is held.
 */
export function subscribeResponseFinish(): () => void {
  if (subscribers++ === 0) subscribe(FINISH_CHANNEL, onResponseFinish);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--subscribers === 0) unsubscribe(FINISH_CHANNEL, onResponseFinish);
  };
}

/**
 * Reports `entry` when its response finishes (`responseFinished`) or its connection closes first
 * (`connectionClosed`, at most once). Returns false, watching nothing, when `raw` is not a Node HTTP/1 request
 * with a socket (`inject`-style fakes, HTTP/2 compatibility objects): the caller then listens on the response
 * itself. A request whose socket is already gone is reported closed on the next tick, after the caller's
 * synchronous setup (a route label, say) is done.
 */
export function watchRequest(raw: unknown, entry: WatchedRequest): boolean {
  if (!(raw instanceof IncomingMessage)) return false;
  const socket = raw.socket as WatchedSocket | null;
  if (!socket) return false;
  if (socket.destroyed) {
    process.nextTick(() => entry.connectionClosed());
    return true;
  }
  const current = socket[CURRENT];
  if (current === null) {
    socket[CURRENT] = entry;
  } else if (current === undefined) {
    socket[CURRENT] = entry;
    socket.once('close', closeAll);
  } else {
    (socket[MORE] ??= []).push(entry);
  }
  return true;
}

/**
 * The fallback for what `watchRequest` declines (`inject` fakes, HTTP/2 compatibility responses): the response's
 * own events, `finish` then `close`, or `close` alone when the client went away first. Two listeners and a
 * closure per request, which is why HTTP/1 requests go through `watchRequest` instead.
 */
export function watchResponse(response: EventEmitter & { readonly statusCode: number }, entry: WatchedRequest): void {
  let finished = false;
  response.once('finish', () => {
    finished = true;
    entry.responseFinished(response.statusCode);
  });
  response.once('close', () => {
    if (!finished) entry.connectionClosed();
  });
}
