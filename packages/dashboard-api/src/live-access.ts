import { UnauthorizedError, WaiError } from '@wai/metrics-core';
import { bearerFromHeader, bearerFromProtocols, createTokenCheck, LIVE_PROTOCOL } from './auth.js';
import { createOriginCheck } from './origin-check.js';
import type { Headers } from './handlers.js';
import type { LiveHub } from './live-hub.js';
import type { ResolvedOptions } from './options.js';

/**
 * Decides an upgrade to `<prefix>/live` before the handshake, the same way on both mounts: the token (from
 * `Authorization` or the `wai.bearer.<base64url>` subprotocol) when one is set, then the client cap.
 */
export function createLiveAccess(options: ResolvedOptions, hub: LiveHub): (headers: Headers) => void {
  const tokenMatches = createTokenCheck(options.token);
  const sameOrigin = createOriginCheck(options.allowedOrigins);
  return (headers) => {
    // A page on another site could otherwise read the frames (WebSockets are not bound by CORS).
    sameOrigin(headers);
    if (options.token !== undefined) {
      const presented = bearerFromHeader(headers.authorization) ?? bearerFromProtocols(headers['sec-websocket-protocol']);
      if (!tokenMatches(presented)) {
        throw new UnauthorizedError('[wai:dashboard-api] live updates need the token (Authorization header or the wai.bearer.<base64url> subprotocol)');
      }
    }
    if (!hub.canAccept()) {
      hub.noteRefused();
      throw new WaiError('E_OVERLOADED', `[wai:dashboard-api] too many live clients (maxClients ${options.maxClients})`, { statusCode: 503 });
    }
  };
}

/** ws `handleProtocols`: select our protocol (never echo the bearer entry back). */
export function selectLiveProtocol(protocols: Set<string>): string | false {
  if (protocols.has(LIVE_PROTOCOL)) return LIVE_PROTOCOL;
  return false;
}
