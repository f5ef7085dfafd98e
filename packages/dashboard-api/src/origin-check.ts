import { WaiError } from '@wai/metrics-core';
import type { Headers } from './handlers.js';

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Refuses cross-origin browser requests on mutating routes and the WebSocket (CSRF and cross-site WebSocket
 * hijacking). A body-less `POST` needs no CORS preflight, so without this a page on any site could stop the
 * monitor or clear the cache of a development server that has no token. Browsers send `Origin` on every
 * `POST` and every WebSocket handshake (Fetch standard, RFC 6455 §4.1); a request without it comes from a
 * non-browser client (curl, a script) and passes. Allowed: the server's own origin (the `Host` header) and
 * `allowedOrigins`. `Origin: null` (sandboxed frames, some redirects) is refused.
 */
export function createOriginCheck(allowedOrigins: readonly string[]): (headers: Headers) => void {
  const allowed = new Set(allowedOrigins.map((origin) => origin.toLowerCase().replace(/\/+$/, '')));
  return (headers) => {
    const origin = first(headers.origin);
    if (origin === undefined) {
      // Fetch Metadata (sent by current browsers even where Origin is omitted).
      const site = first(headers['sec-fetch-site']);
      if (site === undefined || site === 'same-origin' || site === 'none') return;
      throw forbidden(`Sec-Fetch-Site: ${site}`);
    }
    const normalised = origin.toLowerCase();
    if (allowed.has(normalised)) return;
    let host: string | undefined;
    try {
      host = normalised === 'null' ? undefined : new URL(normalised).host;
    } catch {
      host = undefined;
    }
    const own = first(headers.host)?.toLowerCase();
    if (host !== undefined && own !== undefined && host === own) return;
    throw forbidden(`Origin ${origin.slice(0, 200)}`);
  };
}

function forbidden(what: string): WaiError {
  return new WaiError(
    'E_FORBIDDEN',
    `[wai:dashboard-api] cross-origin request refused (${what}): mutating routes and live updates answer only their own origin; list others in \`allowedOrigins\``,
    { statusCode: 403 },
  );
}
