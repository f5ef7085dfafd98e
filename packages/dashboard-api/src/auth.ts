import { createHash, timingSafeEqual } from 'node:crypto';

/** Who may call a route: anyone, readers (public unless `publicReads: false`), or token holders only. */
export type RouteAccess = 'public' | 'read' | 'privileged';

/** The subprotocol prefix a browser uses to send the token on a WebSocket (browsers cannot set headers). */
export const BEARER_PROTOCOL_PREFIX = 'wai.bearer.';
/** The subprotocol the server selects for live updates. */
export const LIVE_PROTOCOL = 'wai.dashboard.v1';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Compares tokens in constant time. Both sides are hashed first so that `timingSafeEqual` always compares
 * 32 bytes: comparing the raw strings would leak the token's length, and `timingSafeEqual` throws on
 * different lengths.
 */
export function createTokenCheck(token: string | undefined): (presented: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = digest(token);
  return (presented) => presented !== undefined && timingSafeEqual(digest(presented), expected);
}

/** The token from `Authorization: Bearer <token>`, or `undefined`. */
export function bearerFromHeader(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

/**
 * The token from a `Sec-WebSocket-Protocol` entry `wai.bearer.<base64url(token)>` (the same idea as
 * Kubernetes' `base64url.bearer.authorization.k8s.io.<token>` subprotocol), or `undefined`.
 */
export function bearerFromProtocols(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value === undefined) return undefined;
  for (const part of value.split(',')) {
    const protocol = part.trim();
    if (protocol.startsWith(BEARER_PROTOCOL_PREFIX)) {
      return Buffer.from(protocol.slice(BEARER_PROTOCOL_PREFIX.length), 'base64url').toString('utf8');
    }
  }
  return undefined;
}
