import { createHash } from 'node:crypto';

/**
 * A strong entity tag (RFC 9110 §8.8.3) for a body: the SHA-256 digest (base64url, 128 bit) of its bytes, so
 * byte-identical bodies share a tag and any change yields another.
 */
export function createEtag(body: Uint8Array | string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

function opaque(tag: string): string {
  const trimmed = tag.trim();
  return trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed;
}

/**
 * True when `If-None-Match` matches `etag`: `*` matches any, otherwise the weak comparison RFC 9110 §13.1.2
 * prescribes for this header (`W/"x"` matches `"x"`).
 */
export function ifNoneMatchMatches(ifNoneMatch: string | undefined, etag: string | undefined): boolean {
  if (!ifNoneMatch || !etag) return false;
  const wanted = ifNoneMatch.trim();
  if (wanted === '*') return true;
  const target = opaque(etag);
  // Entity tags cannot contain commas inside their quotes (RFC 9110 §8.8.3 etagc), so splitting is safe.
  for (const candidate of wanted.split(',')) if (opaque(candidate) === target) return true;
  return false;
}

/** Statuses a conditional GET may turn into 304 (RFC 9110 §13.2.1: preconditions apply to a would-be 2xx). */
export function mayAnswerNotModified(status: number): boolean {
  return status === 200 || status === 203;
}

/**
 * RFC 9110 §13.2.2 for a cache or origin answering a GET/HEAD: `If-None-Match` when present (weak comparison),
 * otherwise `If-Modified-Since` against `Last-Modified`. True means a 304 replaces the 200/203 response.
 */
export function isNotModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  response: { status: number; etag: string | undefined; lastModified: string | undefined },
): boolean {
  if (!mayAnswerNotModified(response.status)) return false;
  if (ifNoneMatch !== undefined) return ifNoneMatchMatches(ifNoneMatch, response.etag);
  if (ifModifiedSince === undefined || response.lastModified === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  const modified = Date.parse(response.lastModified);
  return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
}
