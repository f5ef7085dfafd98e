import type { Alert } from '@wai/metrics-core';
import { buildLiveFrame } from './dashboard-body.js';
import { buildFleetFrame, type LiveFleetUnavailableFrame } from './fleet-body.js';
import type { ResolvedOptions } from './options.js';
import { createSnapshotSource, type Readings } from './snapshot-source.js';

/** ws's `OPEN` ready state (a constant, so we need no runtime import of ws here). */
const OPEN = 1;

/**
 * What the hub uses of a ws `WebSocket` (what @fastify/websocket hands a route, and what `attachLiveUpdates`
 * accepts), written out so the public types do not import ws: its types live in @types/ws, which a TypeScript
 * user need not have. A ws WebSocket fits.
 */
export interface LiveSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Buffer, options: { binary: boolean }): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'pong' | 'close' | 'error' | 'message', listener: () => void): unknown;
}

export interface BroadcastResult {
  /** Clients the frame was written to. */
  sent: number;
  /** Clients skipped because their unsent bytes were over `maxBufferedBytes`. */
  skipped: number;
  /** Bytes of one frame (it is serialised once for all clients). */
  frameBytes: number;
}

export interface LiveHubStats {
  clients: number;
  framesSent: number;
  framesSkipped: number;
  /** Clients dropped for not answering a ping. */
  dropped: number;
  /** Upgrades refused because the hub was full. */
  refused: number;
}

/** The set of live WebSocket clients of one mount: pushes snapshots and alerts to them. */
export interface LiveHub {
  readonly clientCount: number;
  /** False when `maxClients` are connected (the mount then refuses the upgrade with 503). */
  canAccept(): boolean;
  /** Adopts an open socket: sends a hello and a first snapshot, then every interval. */
  add(socket: LiveSocket): void;
  /** Sends one frame to every client that is keeping up. */
  broadcast(frame: object): BroadcastResult;
  /** Builds a snapshot frame from the monitor and broadcasts it. */
  publishSnapshot(): BroadcastResult;
  /** Reads the fleet (when one is configured) and broadcasts a `fleet` frame; undefined without a fleet. */
  publishFleet(): Promise<BroadcastResult | undefined>;
  /** Counts an upgrade refused because the hub was full. */
  noteRefused(): void;
  stats(): LiveHubStats;
  /** Stops the timers, detaches from the monitor and closes every client (1001 going away). */
  close(): void;
}

interface Client {
  socket: LiveSocket;
  alive: boolean;
}

export function createLiveHub(options: ResolvedOptions, readings: () => Readings = createSnapshotSource(options.monitor, options.snapshotMaxAge)): LiveHub {
  const { monitor, maxBufferedBytes } = options;
  const clients = new Set<Client>();
  const stats = { framesSent: 0, framesSkipped: 0, dropped: 0, refused: 0 };
  let snapshotTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let closed = false;

  function write(client: Client, data: Buffer): boolean {
    if (client.socket.readyState !== OPEN) return false;
    // Back-pressure: a slow reader skips frames (the next snapshot supersedes this one) instead of
    // growing an unbounded send buffer in this process.
    if (client.socket.bufferedAmount > maxBufferedBytes) {
      stats.framesSkipped += 1;
      return false;
    }
    client.socket.send(data, { binary: false });
    stats.framesSent += 1;
    return true;
  }

  function broadcast(frame: object): BroadcastResult {
    // Serialised and encoded once for every client (ws would otherwise convert the string per send).
    const data = Buffer.from(JSON.stringify(frame), 'utf8');
    let sent = 0;
    let skipped = 0;
    for (const client of clients) {
      if (write(client, data)) sent += 1;
      else if (client.socket.readyState === OPEN) skipped += 1;
    }
    return { sent, skipped, frameBytes: data.length };
  }

  function snapshotFrame(): object {
    return options.redact(buildLiveFrame(monitor, options.cache, options.liveEndpoints, readings()));
  }

  function publishSnapshot(): BroadcastResult {
    return broadcast(snapshotFrame());
  }

  /** The fleet frame, or an unavailable frame when Redis does not answer (the page then shows this instance). */
  async function fleetFrame(): Promise<object | undefined> {
    if (!options.fleet) return undefined;
    try {
      return options.redact(buildFleetFrame(await options.fleet.read(), options.liveEndpoints));
    } catch (error) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      const frame: LiveFleetUnavailableFrame = {
        type: 'fleet',
        available: false,
        error: { code: typeof code === 'string' ? code : 'E_INTERNAL', message: typeof message === 'string' ? message : 'fleet read failed' },
      };
      return frame;
    }
  }

  /** One fleet read at a time: a slow Redis skips frames instead of stacking reads. */
  let fleetInFlight: Promise<BroadcastResult | undefined> | undefined;
  function publishFleet(): Promise<BroadcastResult | undefined> {
    fleetInFlight ??= fleetFrame()
      .then((frame) => (frame && !closed ? broadcast(frame) : undefined))
      .finally(() => {
        fleetInFlight = undefined;
      });
    return fleetInFlight;
  }

  function tick(): void {
    try {
      publishSnapshot();
    } catch (error) {
      options.logger.error({ err: error }, '[wai:dashboard-api] building a live snapshot failed');
    }
    if (options.fleet) void publishFleet();
  }

  /** Ping every client; one that did not answer the previous ping is dead (RFC 6455 §5.5.2 ping/pong). */
  function heartbeat(): void {
    for (const client of clients) {
      if (!client.alive) {
        stats.dropped += 1;
        clients.delete(client);
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  function startTimers(): void {
    if (snapshotTimer) return;
    snapshotTimer = setInterval(tick, options.liveInterval).unref();
    heartbeatTimer = setInterval(heartbeat, options.heartbeatInterval).unref();
  }

  function stopTimers(): void {
    if (snapshotTimer) clearInterval(snapshotTimer);
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    snapshotTimer = undefined;
    heartbeatTimer = undefined;
  }

  const onAlert = (alert: Alert) => broadcast(options.redact({ type: 'alert', alert }));
  const onResolved = (alert: Alert) => broadcast(options.redact({ type: 'alert:resolved', alert }));
  monitor.on('alert', onAlert);
  monitor.on('alert:resolved', onResolved);

  return {
    get clientCount() {
      return clients.size;
    },
    canAccept: () => !closed && clients.size < options.maxClients,
    noteRefused: () => {
      stats.refused += 1;
    },
    add(socket) {
      if (closed || clients.size >= options.maxClients) {
        stats.refused += 1;
        socket.close(1013, 'too many dashboard clients');
        return;
      }
      const client: Client = { socket, alive: true };
      clients.add(client);
      socket.on('pong', () => {
        client.alive = true;
      });
      socket.on('close', () => {
        clients.delete(client);
        if (clients.size === 0) stopTimers();
      });
      socket.on('error', () => {
        clients.delete(client);
      });
      // Clients have nothing to say; ws enforces maxPayload on what they send anyway.
      socket.on('message', () => {});
      write(client, Buffer.from(JSON.stringify({ type: 'hello', interval: options.liveInterval })));
      try {
        write(client, Buffer.from(JSON.stringify(snapshotFrame())));
      } catch (error) {
        options.logger.error({ err: error }, '[wai:dashboard-api] building a live snapshot failed');
      }
      if (options.fleet) {
        void fleetFrame().then((frame) => {
          if (frame && clients.has(client)) write(client, Buffer.from(JSON.stringify(frame)));
        });
      }
      startTimers();
    },
    broadcast,
    publishSnapshot,
    publishFleet,
    stats: () => ({ clients: clients.size, ...stats }),
    close() {
      if (closed) return;
      closed = true;
      stopTimers();
      monitor.off('alert', onAlert);
      monitor.off('alert:resolved', onResolved);
      for (const client of clients) client.socket.close(1001, 'server shutting down');
      clients.clear();
    },
  };
}
