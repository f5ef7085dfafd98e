import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** An origin's answer as a reverse proxy relays it. */
export interface OriginAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

// Hop-by-hop fields (RFC 9110 §7.6.1) are the proxy's own; everything else is relayed as is.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length']);

function relayable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set((typeof headers.connection === 'string' ? headers.connection : '').split(',').map((name) => name.trim().toLowerCase()));
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    result[name] = value;
  }
  return result;
}

/** Header lines as sent: Node's parsed headers keep only the first of a repeated `Age`, `Expires`, `ETag`, …. */
function linesOf(rawHeaders: readonly string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] as string).toLowerCase();
    const value = rawHeaders[index + 1] as string;
    const existing = headers[name];
    headers[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return headers;
}

/**
 * Forwards one request to `originUrl` and buffers the answer, keeping status (any 3-digit code, the cache-tests
 * origin signals with 999), header lines and body; the adapters' reverse-proxy harnesses are built on it.
 */
export function forwardToOrigin(originUrl: string, request: { method: string; url: string; headers: IncomingHttpHeaders; body?: Buffer }): Promise<OriginAnswer> {
  return new Promise((resolve, reject) => {
    const headers = relayable(request.headers);
    if (request.body && request.body.byteLength > 0) headers['content-length'] = String(request.body.byteLength);
    const outgoing = httpRequest(originUrl + request.url, { method: request.method, headers, agent: false, insecureHTTPParser: true }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 502, headers: relayable(linesOf(incoming.rawHeaders)), body: Buffer.concat(chunks) }));
      incoming.on('error', reject);
    });
    outgoing.setTimeout(30_000, () => outgoing.destroy(new Error('origin timed out')));
    outgoing.on('error', reject);
    outgoing.end(request.body && request.body.byteLength > 0 ? request.body : undefined);
  });
}
