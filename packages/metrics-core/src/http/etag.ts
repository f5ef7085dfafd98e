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
