/**
 * A loopback TCP proxy between one process and a server (a fault, not a mock): it relays bytes both ways and can
 * stall (hold every byte, connections stay open) or cut (drop every connection and refuse new ones) on demand.
 */
export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  stall(): void;
  cut(): void;
  /** Back to relaying; stalled bytes flow again. */
  restore(): void;
  close(): Promise<void>;
}

/** The proxy on its own worker thread; each control resolves once the proxy has switched. */
export interface TcpProxyThread {
  readonly port: number;
  readonly url: string;
  stall(): Promise<void>;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export declare function startTcpProxy(target: { host: string; port: number }, scheme?: string): Promise<TcpProxy>;

/** Relaying on a worker thread, so the calling thread's work (a load generator) cannot slow the link. */
export declare function startTcpProxyThread(target: { host: string; port: number }, scheme?: string): Promise<TcpProxyThread>;
