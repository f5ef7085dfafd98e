import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

export const TOKEN = 'security-suite-token-7f3a';
export const PREFIX = '/api/performance/enhanced';

/** The two production modes the suite replays every row in. */
export const PRODUCTION_MODES = [
  { name: 'production without a token', token: undefined },
  { name: 'production with a token', token: TOKEN },
] as const;

export type Mode = (typeof PRODUCTION_MODES)[number];

/** The built server in production mode (`NODE_ENV=production`), with the token when the mode has one. */
export function startProduction(mode: { token: string | undefined }, env: Record<string, string | undefined> = {}): Promise<ServerProcess> {
  return startServer({
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      CACHE_WARMING_ENABLED: 'false',
      PERFORMANCE_DASHBOARD_TOKEN: mode.token,
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      ...env,
    },
  });
}

export interface RawResponse {
  /** Everything the server wrote before it closed the socket (or before `waitMs`). */
  text: string;
  status: number | undefined;
  /** The parsed JSON body, when there is one. */
  json: unknown;
  /** Milliseconds from the first byte sent to the server closing the socket; undefined when it stayed open. */
  closedAfterMs: number | undefined;
}

function parse(text: string): { status: number | undefined; json: unknown } {
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: status === undefined ? undefined : Number(status), json };
}

/**
 * Writes `data` on a fresh TCP connection and collects the answer until the server closes the socket or `waitMs`
 * passes (then the socket is destroyed by us). A real client, as slow or as broken as the test makes it.
 */
export function rawExchange(port: number, data: string, waitMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let text = '';
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(data));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, ...parse(text), closedAfterMs: undefined });
    }, waitMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, ...parse(text), closedAfterMs: Date.now() - started });
    });
  });
}

export interface LiveAttempt {
  opened: boolean;
  /** The HTTP status that refused the upgrade, when it was refused with one. */
  status: number | undefined;
  /** Frames received within `listenMs` after opening. */
  frames: Array<Record<string, unknown>>;
}

/** Tries the dashboard's WebSocket with a real `ws` client and listens for frames for `listenMs`. */
export function tryLive(baseUrl: string, options: { token?: string; headers?: Record<string, string>; listenMs?: number } = {}): Promise<LiveAttempt> {
  const protocols = ['wai.dashboard.v1', ...(options.token === undefined ? [] : [`wai.bearer.${Buffer.from(options.token).toString('base64url')}`])];
  return new Promise((resolve) => {
    const frames: Array<Record<string, unknown>> = [];
    const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}${PREFIX}/live`, protocols, { headers: options.headers ?? {} });
    let settled = false;
    const finish = (attempt: LiveAttempt) => {
      if (settled) return;
      settled = true;
      socket.terminate();
      resolve(attempt);
    };
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    socket.once('open', () => setTimeout(() => finish({ opened: true, status: undefined, frames }), options.listenMs ?? 1500));
    socket.once('unexpected-response', (_request, response) => finish({ opened: false, status: response.statusCode, frames }));
    socket.once('error', () => finish({ opened: false, status: undefined, frames }));
    socket.once('close', () => finish({ opened: socket.readyState === WebSocket.OPEN, status: undefined, frames }));
  });
}

/** True when nothing is listening on `port` any more (a connection attempt is refused). */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
